nblocks = 3
have_floor = 1
floor_init = 2.09
floor_mem = 2867.34
subtitle = "kernel 6.12.117+deb12-amd64, TCG -cpu max, -icount shift=0,sleep=off, 1 vCPU, 3072 MiB RAM"
