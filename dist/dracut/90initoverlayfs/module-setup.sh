#!/bin/bash
# dracut module "initoverlayfs": makes a mini initramfs in systemd mode,
# where systemd and udev run and pre-initoverlayfs.service mounts the
# initoverlayfs image instead of a root filesystem.
#
# initoverlayfs-install --mode systemd runs dracut with
#   -m "systemd systemd-udevd initoverlayfs"
# and sets the variables below. To build a mini initramfs by hand, with
# more dracut modules (crypt, lvm, ...), set them in a dracut.conf.d file
# or the environment:
#   initoverlayfs_config   the early-boot configuration to install as
#                          /etc/initoverlayfs.conf (required; the builder
#                          writes one into every mini initramfs it makes)
#   initoverlayfs_program  the initoverlayfs binary (default: from PATH,
#                          else /usr/sbin/initoverlayfs)
#   initoverlayfs_roothash_sig  the dm-verity root hash signature to
#                          install as /etc/initoverlayfs.roothash.p7s
#                          (initoverlayfs-install --verity-sign)
#   initoverlayfs_units    the directory holding the pre-initoverlayfs
#                          units (default: /usr/share/initoverlayfs/systemd,
#                          where the package installs them, else systemd's
#                          unit directory)

check() {
    if [[ ! -r ${initoverlayfs_config-} ]]; then
        # Said only when the module was asked for: dracut checks every
        # installed module on every run.
        [[ " $dracutmodules $add_dracutmodules $force_add_dracutmodules " == *" initoverlayfs "* ]] &&
            derror "initoverlayfs: set initoverlayfs_config to the early-boot configuration to install"
        return 1
    fi
    # Only when asked for: this module changes what the initramfs is for.
    return 255
}

depends() {
    echo systemd systemd-udevd
    return 0
}

installkernel() {
    # The image's and the overlay's filesystems, and loop for kernels that
    # cannot mount an image file directly. Storage drivers come from
    # --add-drivers (the builder passes its module set) or other modules.
    hostonly='' instmods erofs overlay loop
    # dm-verity (with dm-mod, dm-bufio) when the configuration requires it.
    if grep -qE '^[[:space:]]*verity[[:space:]=]+1' "$initoverlayfs_config"; then
        hostonly='' instmods dm-verity
    fi
}

install() {
    local program=${initoverlayfs_program:-$(command -v initoverlayfs || echo /usr/sbin/initoverlayfs)}
    local units=${initoverlayfs_units:-/usr/share/initoverlayfs/systemd}
    [[ -d $units ]] || units=$systemdsystemunitdir
    local unit

    inst_simple "$program" /usr/sbin/initoverlayfs || return 1
    inst_simple "$initoverlayfs_config" /etc/initoverlayfs.conf || return 1
    if [[ -n ${initoverlayfs_roothash_sig-} ]]; then
        inst_simple "$initoverlayfs_roothash_sig" /etc/initoverlayfs.roothash.p7s || return 1
    fi
    # The builder's marker: this initramfs is a mini initramfs already.
    if [[ -n ${initoverlayfs_marker-} ]]; then
        inst_simple "$initoverlayfs_marker" /etc/initoverlayfs-install.made || return 1
    fi
    for unit in pre-initoverlayfs.target pre-initoverlayfs.service pre-initoverlayfs-switch-root.service; do
        inst_simple "$units/$unit" "$systemdsystemunitdir/$unit" || return 1
    done

    # systemd starts initrd.target, not default.target, when it finds
    # /etc/initrd-release: both name our target, and the override in /etc
    # wins over an initrd.target another dracut module installed.
    $SYSTEMCTL -q --root "$initdir" set-default pre-initoverlayfs.target
    mkdir -p "$initdir/etc/systemd/system"
    ln -sfn "$systemdsystemunitdir/pre-initoverlayfs.target" "$initdir/etc/systemd/system/initrd.target"

    # systemd only switches root out of an initrd, which it recognises by
    # this file (dracut's base module writes it; this one does without base).
    if [[ ! -e $initdir/etc/initrd-release ]]; then
        printf '%s\n' 'NAME="initoverlayfs mini initramfs"' 'ID=initoverlayfs' \
            'PRETTY_NAME="initoverlayfs mini initramfs"' > "$initdir/etc/initrd-release"
    fi
    [[ -e $initdir/etc/os-release ]] || ln -s initrd-release "$initdir/etc/os-release"

    # The config's failure action, as systemd's: reboot, poweroff and halt
    # become FailureAction= of both units; shell (and no setting) keeps
    # OnFailure=emergency.target, an emergency shell where the mini
    # initramfs has one (sulogin and a shell, e.g. from dracut's rescue
    # module), else a stop with the error on the console.
    local action
    action=$(sed -n 's/^[[:space:]]*onfailure[[:space:]=]*\([a-z]*\).*/\1/p' "$initoverlayfs_config" | tail -n 1)
    case $action in
        reboot | poweroff | halt)
            for unit in pre-initoverlayfs.service pre-initoverlayfs-switch-root.service; do
                mkdir -p "$initdir/etc/systemd/system/$unit.d"
                printf '[Unit]\nOnFailure=\nFailureAction=%s\n' "$action" \
                    > "$initdir/etc/systemd/system/$unit.d/onfailure.conf"
            done
            ;;
    esac

    # udev's hardware database (13 MB, about 2 MB compressed) names
    # vendors, keyboards and sensors; nothing here needs it, and udev does
    # without it.
    rm -f -- "$initdir$udevdir/hwdb.bin"
}
