# Plots of a benchmark results directory (made by bench/report.py):
#   gnuplot -e "dir='RESULTS_DIR'" bench/plot.gp
# plot.dat: one block per mode, headed by the mode's name, rows
#   size_mib init_med init_min init_max mem_med mem_min mem_max
# plot-vars.gp: nblocks, have_floor, floor_init, floor_mem, subtitle.
load dir.'/plot-vars.gp'
data = dir.'/plot.dat'

set terminal pngcairo size 1100,680 font ",12" linewidth 1.5
set datafile separator whitespace
set key top left box opaque
set grid
set xlabel "payload size (MiB)"
set xrange [-20:1060]
set xtics (0, 64, 128, 256, 512, 768, 1024)

# The same colour per mode in both plots.
set linetype 1 lc rgb "#d62728" pt 7 ps 1.2
set linetype 2 lc rgb "#ff7f0e" pt 5 ps 1.2
set linetype 3 lc rgb "#1f77b4" pt 9 ps 1.4
set linetype 4 lc rgb "#2ca02c" pt 11 ps 1.4
set linetype 5 lc rgb "#9467bd" pt 13 ps 1.2

set output dir.'/time-to-init.png'
set title "Guest time until the payload's init runs (median, bars: min-max)\n{/*0.8 ".subtitle."}"
set ylabel "guest seconds (QEMU TCG, -icount shift=0)"
set yrange [0:*]
if (have_floor) {
  plot for [i=0:nblocks-1] data index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1), \
       floor_init with lines lc rgb "#444444" dt 2 title sprintf("floor (tiny initramfs): %.2f s", floor_init)
} else {
  plot for [i=0:nblocks-1] data index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1)
}

# The small sizes, where the fixed costs decide.
set output dir.'/time-to-init-small.png'
set title "Guest time until the payload's init runs, payloads up to 64 MiB\n{/*0.8 ".subtitle."}"
set xrange [-2:68]
set xtics (0, 16, 32, 48, 64)
set key bottom right
if (have_floor) {
  plot for [i=0:nblocks-1] data index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1), \
       floor_init with lines lc rgb "#444444" dt 2 title sprintf("floor (tiny initramfs): %.2f s", floor_init)
} else {
  plot for [i=0:nblocks-1] data index i using 1:2:3:4 with yerrorlines lt i+1 title columnheader(1)
}
set xrange [-20:1060]
set xtics (0, 64, 128, 256, 512, 768, 1024)

set output dir.'/mem-available.png'
set title "MemAvailable when the payload's init runs (median, bars: min-max)\n{/*0.8 ".subtitle."}"
set ylabel "MemAvailable (MiB)"
set key bottom left
set yrange [*:*]
if (have_floor) {
  plot for [i=0:nblocks-1] data index i using 1:5:6:7 with yerrorlines lt i+1 title columnheader(1), \
       floor_mem with lines lc rgb "#444444" dt 2 title sprintf("floor (tiny initramfs): %.0f MiB", floor_mem)
} else {
  plot for [i=0:nblocks-1] data index i using 1:5:6:7 with yerrorlines lt i+1 title columnheader(1)
}
