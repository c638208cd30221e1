# fish completion for vfnet(8).
# Generated from src/clidef.rs by `UPDATE_CLIDOCS=1 cargo test --test clidocs`: change that, not this.

# The PFs: interface names and PCI addresses of SR-IOV devices.
function __vfnet_pfs
    for d in $VFNET_ROOT/sys/class/net/*/device/sriov_totalvfs
        string replace -r '^.*/net/([^/]*)/device/sriov_totalvfs$' '$1' -- $d
    end
    for d in $VFNET_ROOT/sys/bus/pci/devices/*/sriov_totalvfs
        string replace -r '^.*/devices/([^/]*)/sriov_totalvfs$' '$1' -- $d
    end
end

# The words of the command line before the cursor that are not options:
# the command first. Global options' values are skipped.
function __vfnet_words
    set -l skip 0
    set -l t (commandline -opc)
    set -e t[1]
    for w in $t
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --root --config
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end

# True when the command is one of $argv (or, with none given, when there is none yet).
function __vfnet_using
    set -l w (__vfnet_words)
    if test (count $argv) -eq 0
        test (count $w) -eq 0
    else
        contains -- "$w[1]" $argv
    end
end

# The candidates for the operands of the command.
function __vfnet_operands
    set -l w (__vfnet_words)
    set -l n (math (count $w) - 1)
    switch "$w[1]"
        case list
            test $n -eq 0; and __vfnet_pfs
        case set
            test $n -eq 0; and __vfnet_pfs
        case vf
            test $n -eq 0; and __vfnet_pfs
            test $n -ge 1; and __vfnet_vf_args $w[2..-1]
        case persist
            test $n -eq 0; and __vfnet_pfs
        case doctor
            test $n -eq 0; and __vfnet_pfs
        case capture
            test $n -eq 0; and __fish_complete_path (commandline -ct)
        case fdb
            test $n -eq 0; and __vfnet_pfs
    end
end

# vf's words after DEV: its VF indexes and free, then settings and values.
function __vfnet_vf_args
    set -l n (count $argv)
    if test $n -eq 1
        set -l r $VFNET_ROOT/sys/class/net/$argv[1]/device
        string match -q '*:*' -- $argv[1]; and set r $VFNET_ROOT/sys/bus/pci/devices/$argv[1]
        for d in $r/virtfn*
            string replace -r '^.*/virtfn' '' -- $d
        end
        echo free
        return
    end
    contains -- free $argv; and return
    set -l i 3
    while test $i -le $n
        set -l k $argv[$i]
        set -l words 1
        switch $k
            case rate
                set words 2
        end
        if test $n -lt (math $i + $words)
            test $n -eq $i; and __vfnet_setting_values $k
            return
        end
        set i (math $i + 1 + $words)
    end
    printf '%s\n' mac node_guid port_guid vlan qos proto query_rss trust spoofchk state rate mtu driver
    test $n -eq 2; and echo free
end

function __vfnet_setting_values
    switch $argv[1]
        case mac
            printf '%s\n' auto 00:00:00:00:00:00
        case node_guid
            printf '%s\n' auto
        case port_guid
            printf '%s\n' auto
        case qos
            printf '%s\n' 0 1 2 3 4 5 6 7
        case proto
            printf '%s\n' 802.1Q 802.1ad
        case query_rss
            printf '%s\n' on off
        case trust
            printf '%s\n' on off
        case spoofchk
            printf '%s\n' on off
        case state
            printf '%s\n' auto enable disable
        case driver
            printf '%s\n' vfio-pci default
    end
end

complete -c vfnet -f
complete -c vfnet -n '__vfnet_using' -a list -d 'list PFs and their VFs'
complete -c vfnet -n '__vfnet_using' -a set -d 'make DEV have N VFs now'
complete -c vfnet -n '__vfnet_using' -a vf -d 'show or change a VF or VFs A-B'
complete -c vfnet -n '__vfnet_using' -a persist -d 'record VF counts in the config file'
complete -c vfnet -n '__vfnet_using' -a apply -d 'make the VFs'
complete -c vfnet -n '__vfnet_using' -a install -d 'install vfnet and its boot glue'
complete -c vfnet -n '__vfnet_using' -a uninstall -d 'remove what install added'
complete -c vfnet -n '__vfnet_using' -a doctor -d 'check the set-up'
complete -c vfnet -n '__vfnet_using' -a capture -d 'write what vfnet reads here as one tar archive'
complete -c vfnet -n '__vfnet_using' -a fdb -d 'let VFs reach the guests on the bridge their PF is a port of'
complete -c vfnet -n '__vfnet_using' -a metrics -d 'PFs, VFs, users, settings and counters for Prometheus'
complete -c vfnet -n '__vfnet_using' -a help -d 'show help for a command'
complete -c vfnet -a '(__vfnet_operands)'
complete -c vfnet -l root -x -a '(__fish_complete_directories)' -d 'use DIR as / for /sys, /proc, /etc, /run and /usr/share'
complete -c vfnet -l config -r -F -d 'config file'
complete -c vfnet -l help -s h -d 'show this help'
complete -c vfnet -n '__vfnet_using' -l version -s V -d 'show the version'
complete -c vfnet -n '__vfnet_using list' -l all -s a -d 'also SR-IOV devices without a network interface'
complete -c vfnet -n '__vfnet_using list' -l json -s j -d 'print one JSON document'
complete -c vfnet -n '__vfnet_using list' -l brief -s b -d 'one line per PF and per VF, no header'
complete -c vfnet -n '__vfnet_using list' -l no-headers -d 'the tables\' rows only'
complete -c vfnet -n '__vfnet_using list' -l stats -d 'also each VF\'s traffic counters, as the PF\'s driver counts'
complete -c vfnet -n '__vfnet_using set' -l dry-run -s n -d 'say what would change and who uses the VFs it destroys'
complete -c vfnet -n '__vfnet_using set' -l json -s j -d 'print the outcome as one JSON document'
complete -c vfnet -n '__vfnet_using set' -l reload -d 'ConnectX-3'
complete -c vfnet -n '__vfnet_using set' -l force -d 'change the count even when VFs are in use'
complete -c vfnet -n '__vfnet_using set' -l autoprobe -x -a 'on off' -d 'whether new VFs get a host driver'
complete -c vfnet -n '__vfnet_using set' -l eswitch -x -a 'legacy switchdev' -d 'the PF\'s eswitch mode over devlink'
complete -c vfnet -n '__vfnet_using set' -l timeout -s t -x -d 'give up waiting after SECS'
complete -c vfnet -n '__vfnet_using vf' -l persist -d 'also record the settings in the config file'
complete -c vfnet -n '__vfnet_using vf' -l force -d 'change the driver even when the VF is in use'
complete -c vfnet -n '__vfnet_using vf' -l driver -x -a 'vfio-pci' -d 'bind the free VF found to vfio-pci first'
complete -c vfnet -n '__vfnet_using vf' -l json -s j -d 'print one JSON document'
complete -c vfnet -n '__vfnet_using vf' -l timeout -s t -x -d 'give up waiting for drivers after SECS'
complete -c vfnet -n '__vfnet_using persist' -l timeout -s t -x -d 'give up waiting for another vfnet\'s edit after SECS'
complete -c vfnet -n '__vfnet_using persist' -l dry-run -s n -d 'print the config file as it would be, change nothing'
complete -c vfnet -n '__vfnet_using persist' -l json -s j -d 'print what was'
complete -c vfnet -n '__vfnet_using persist' -l vf -x -d 'record a VF setting'
complete -c vfnet -n '__vfnet_using persist' -l remove -d 'remove DEV\'s entries'
complete -c vfnet -n '__vfnet_using persist' -l probe -x -d 'ConnectX-3'
complete -c vfnet -n '__vfnet_using persist' -l port-type -x -a 'ib eth auto' -d 'ConnectX-3'
complete -c vfnet -n '__vfnet_using persist' -l refresh-initramfs -d 'ConnectX-3'
complete -c vfnet -n '__vfnet_using persist' -l eswitch -x -a 'legacy switchdev' -d 'record DEV\'s eswitch mode, set before its VFs are made'
complete -c vfnet -n '__vfnet_using apply' -l dry-run -s n -d 'print what would change and change nothing'
complete -c vfnet -n '__vfnet_using apply' -l wait -s w -x -d 'first wait up to SECS for every configured PF to appear'
complete -c vfnet -n '__vfnet_using apply' -l timeout -s t -x -d 'the budget for what may never happen, after --wait'
complete -c vfnet -n '__vfnet_using apply' -l deadline -x -d 'the hard cap of the whole run'
complete -c vfnet -n '__vfnet_using apply' -l quiet -s q -d 'print errors only'
complete -c vfnet -n '__vfnet_using apply' -l json -s j -d 'print one JSON document instead of the lines'
complete -c vfnet -n '__vfnet_using install' -l init -x -a 'auto systemd openrc initramfs-tools dracut truenas' -d 'which glue'
complete -c vfnet -n '__vfnet_using install' -l driver -x -d 'also put kernel module NAME in the initramfs'
complete -c vfnet -n '__vfnet_using install' -l unmanaged-vfs -d 'make NetworkManager and systemd-networkd leave the VFs alone'
complete -c vfnet -n '__vfnet_using install' -l fdb-sync -d 'also the vfnet fdb --watch service'
complete -c vfnet -n '__vfnet_using install' -l metrics -x -a '(__fish_complete_directories)' -d 'refresh DIR/vfnet.prom'
complete -c vfnet -n '__vfnet_using install' -l hooks -x -a 'libvirt proxmox' -d 'the VM hooks'
complete -c vfnet -n '__vfnet_using install' -l dry-run -s n -d 'print what would be done and do nothing'
complete -c vfnet -n '__vfnet_using uninstall' -l init -x -a 'auto systemd openrc initramfs-tools dracut truenas' -d 'which glue to remove'
complete -c vfnet -n '__vfnet_using uninstall' -l hooks -a 'libvirt proxmox' -d 'remove the VM hooks alone'
complete -c vfnet -n '__vfnet_using uninstall' -l dry-run -s n -d 'print what would be done and do nothing'
complete -c vfnet -n '__vfnet_using doctor' -l json -s j -d 'print'
complete -c vfnet -n '__vfnet_using capture' -l anonymize -d 'replace every MAC address, consistently'
complete -c vfnet -n '__vfnet_using fdb' -l dry-run -s n -d 'say what would be added and removed'
complete -c vfnet -n '__vfnet_using fdb' -l json -s j -d 'print one JSON document'
complete -c vfnet -n '__vfnet_using fdb' -l watch -s w -d 'keep the tables in step, one line per change, until stopped'
complete -c vfnet -n '__vfnet_using metrics' -l textfile -x -a '(__fish_complete_directories)' -d 'write DIR/vfnet.prom'
