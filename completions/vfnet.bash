# bash completion for vfnet(8).
# Generated from src/clidef.rs by `UPDATE_CLIDOCS=1 cargo test --test clidocs`: change that, not this.

# The PFs: interface names and PCI addresses of SR-IOV devices.
_vfnet_pfs() {
    local r=${VFNET_ROOT-} d
    for d in "$r"/sys/class/net/*/device/sriov_totalvfs; do
        [ -e "$d" ] || continue
        d=${d%/device/sriov_totalvfs}
        printf '%s\n' "${d##*/}"
    done
    for d in "$r"/sys/bus/pci/devices/*/sriov_totalvfs; do
        [ -e "$d" ] || continue
        d=${d%/sriov_totalvfs}
        printf '%s\n' "${d##*/}"
    done
}

# The VF indexes of the PF $1.
_vfnet_vfs() {
    local r=${VFNET_ROOT-} d p
    case $1 in
    */*) return ;;
    *:*) p=$r/sys/bus/pci/devices/$1 ;;
    *) p=$r/sys/class/net/$1/device ;;
    esac
    for d in "$p"/virtfn*; do
        [ -e "$d" ] && printf '%s\n' "${d##*/virtfn}"
    done
}

# The options of the command $1.
_vfnet_options() {
    case $1 in
    list) echo "--all -a --json -j --brief -b --no-headers --stats" ;;
    set) echo "--dry-run -n --json -j --reload --force --autoprobe --eswitch --timeout -t" ;;
    vf) echo "--persist --force --driver --json -j --timeout -t" ;;
    persist) echo "--timeout -t --dry-run -n --json -j --vf --remove --probe --port-type --refresh-initramfs --eswitch" ;;
    apply) echo "--dry-run -n --wait -w --timeout -t --deadline --quiet -q --json -j" ;;
    install) echo "--init --driver --unmanaged-vfs --fdb-sync --metrics --hooks --dry-run -n" ;;
    uninstall) echo "--init --hooks --dry-run -n" ;;
    doctor) echo "--json -j" ;;
    capture) echo "--anonymize" ;;
    fdb) echo "--dry-run -n --json -j --watch -w" ;;
    metrics) echo "--textfile" ;;
    help) echo "" ;;
    "") echo "--version -V" ;;
    esac
    echo "--root --config --help -h"
}

# What the option $2 of the command $1 takes; false for a flag.
_vfnet_value() {
    case "$1 $2" in
    "set --autoprobe") echo "on off" ;;
    "set --eswitch") echo "legacy switchdev" ;;
    "set --timeout") echo "@any" ;;
    "set -t") echo "@any" ;;
    "vf --driver") echo "vfio-pci" ;;
    "vf --timeout") echo "@any" ;;
    "vf -t") echo "@any" ;;
    "persist --timeout") echo "@any" ;;
    "persist -t") echo "@any" ;;
    "persist --vf") echo "@any" ;;
    "persist --probe") echo "@any" ;;
    "persist --port-type") echo "@list ib eth auto" ;;
    "persist --eswitch") echo "legacy switchdev" ;;
    "apply --wait") echo "@any" ;;
    "apply -w") echo "@any" ;;
    "apply --timeout") echo "@any" ;;
    "apply -t") echo "@any" ;;
    "apply --deadline") echo "@any" ;;
    "install --init") echo "@list auto systemd openrc initramfs-tools dracut truenas" ;;
    "install --driver") echo "@any" ;;
    "install --metrics") echo "@dir" ;;
    "install --hooks") echo "@list libvirt proxmox" ;;
    "uninstall --init") echo "@list auto systemd openrc initramfs-tools dracut truenas" ;;
    "uninstall --hooks") echo "@eq @list libvirt proxmox" ;;
    "metrics --textfile") echo "@dir" ;;
    *" --root") echo "@dir" ;;
    *" --config") echo "@file" ;;
    *) return 1 ;;
    esac
}

# The operands of the command $1.
_vfnet_operands() {
    case $1 in
    list) echo "@dev" ;;
    set) echo "@dev @any" ;;
    vf) echo "@dev @vf" ;;
    persist) echo "@dev @any" ;;
    apply) echo "" ;;
    install) echo "" ;;
    uninstall) echo "" ;;
    doctor) echo "@dev" ;;
    capture) echo "@file" ;;
    fdb) echo "@dev" ;;
    metrics) echo "" ;;
    help) echo "" ;;
    esac
}

# How many words the VF setting $1 takes, and what they may be.
_vfnet_setting_words() {
    case $1 in
    mac) echo 1 ;;
    node_guid) echo 1 ;;
    port_guid) echo 1 ;;
    vlan) echo 1 ;;
    qos) echo 1 ;;
    proto) echo 1 ;;
    query_rss) echo 1 ;;
    trust) echo 1 ;;
    spoofchk) echo 1 ;;
    state) echo 1 ;;
    rate) echo 2 ;;
    mtu) echo 1 ;;
    driver) echo 1 ;;
    *) echo 1 ;;
    esac
}
_vfnet_setting_values() {
    case $1 in
    mac) echo "auto 00:00:00:00:00:00" ;;
    node_guid) echo "auto" ;;
    port_guid) echo "auto" ;;
    vlan) echo "@any" ;;
    qos) echo "0 1 2 3 4 5 6 7" ;;
    proto) echo "802.1Q 802.1ad" ;;
    query_rss) echo "on off" ;;
    trust) echo "on off" ;;
    spoofchk) echo "on off" ;;
    state) echo "auto enable disable" ;;
    rate) echo "@any" ;;
    mtu) echo "@any" ;;
    driver) echo "vfio-pci default" ;;
    esac
}

# COMPREPLY: the words of $2... that start with $1, cut where bash's word
# breaks (COMP_WORDBREAKS: = and : among them) cut $1.
_vfnet_reply() {
    local cur=$1 i pre c
    shift
    COMPREPLY=()
    for c in "$@"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
    done
    for ((i = ${#cur} - 1; i >= 0; i--)); do
        [[ ${COMP_WORDBREAKS-} == *"${cur:i:1}"* ]] && break
    done
    pre=${cur:0:i+1}
    if [ -n "$pre" ]; then
        COMPREPLY=("${COMPREPLY[@]#"$pre"}")
    fi
}

# Completes $2 as a value described by $1 (_vfnet_value's words).
_vfnet_complete_value() {
    local what=$1 cur=$2 head=
    case $what in
    @any) COMPREPLY=() ;;
    @dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    @file) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    @dev) mapfile -t c < <(_vfnet_pfs); _vfnet_reply "$cur" "${c[@]}" ;;
    @list\ *)
        [[ $cur == *,* ]] && head=${cur%,*},
        local -a w=()
        for c in ${what#@list }; do w+=("$head$c"); done
        _vfnet_reply "$cur" "${w[@]}"
        ;;
    *) _vfnet_reply "$cur" $what ;;
    esac
}

_vfnet() {
    local line=${COMP_LINE:0:COMP_POINT} cmd= i w v cur
    local -a words=() ops=() c=()
    read -ra words <<< "$line"
    [[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
    cur=${words[-1]}
    COMPREPLY=()
    for ((i = 1; i < ${#words[@]} - 1; i++)); do
        w=${words[i]}
        case $w in
        --) break ;;
        --*=*) continue ;;
        -*)
            v=$(_vfnet_value "${cmd:-*}" "$w") && [[ $v != @eq* ]] && ((i++))
            continue
            ;;
        esac
        if [ -z "$cmd" ]; then cmd=$w; else ops+=("$w"); fi
    done
    if ((${#words[@]} > 2)) && v=$(_vfnet_value "${cmd:-*}" "${words[-2]}") && [[ $v != @eq* ]]; then
        _vfnet_complete_value "$v" "$cur"
        return
    fi
    case $cur in
    --*=*)
        v=$(_vfnet_value "${cmd:-*}" "${cur%%=*}") || return
        _vfnet_complete_value "${v#@eq }" "${cur#*=}"
        return
        ;;
    -*)
        _vfnet_reply "$cur" $(_vfnet_options "$cmd")
        return
        ;;
    esac
    if [ -z "$cmd" ]; then
        _vfnet_reply "$cur" list set vf persist apply install uninstall doctor capture fdb metrics help
        return
    fi
    local -a kinds=()
    read -ra kinds <<< "$(_vfnet_operands "$cmd")"
    local n=${#ops[@]} k
    # Past the last operand: more settings when it is vf's, else nothing.
    k=@none
    if ((n < ${#kinds[@]})); then
        k=${kinds[n]}
    elif ((${#kinds[@]} > 0)) && [ "${kinds[${#kinds[@]} - 1]}" = @vf ]; then
        k=@vf
    fi
    case $k in
    @vf)
        if ((n == 1)); then
            mapfile -t c < <(_vfnet_vfs "${ops[0]}")
            _vfnet_reply "$cur" "${c[@]}" free
            return
        fi
        [ "${ops[1]}" = free ] && return
        i=2
        while ((i < n)); do
            [ "${ops[i]}" = free ] && return
            w=$(_vfnet_setting_words "${ops[i]}")
            if ((n <= i + w)); then
                ((n == i + 1)) && _vfnet_complete_value "$(_vfnet_setting_values "${ops[i]}")" "$cur"
                return
            fi
            ((i += 1 + w))
        done
        if ((i == 2)); then
            _vfnet_reply "$cur" mac node_guid port_guid vlan qos proto query_rss trust spoofchk state rate mtu driver free
        else
            _vfnet_reply "$cur" mac node_guid port_guid vlan qos proto query_rss trust spoofchk state rate mtu driver
        fi
        ;;
    @none | @any | '') ;;
    *) _vfnet_complete_value "$k" "$cur" ;;
    esac
}
complete -F _vfnet vfnet
