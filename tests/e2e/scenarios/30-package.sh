# e2e-scenario: the Debian package on Debian 12: dpkg -i, man page, bash completion, the unit verified, enabled with systemctl it makes 3 VFs at boot; dpkg -r leaves only the config, dpkg -P nothing
# e2e-image: package
# e2e-boot: fresh
#
# The image (lib/image-package.sh) installed scripts/build-deb's amd64
# package with dpkg -i into a Debian bookworm root, built an initramfs to
# see the hook inert, then ran `systemctl enable vfnet.service` and added a
# config line asking for 3 VFs. This scenario runs from e2e-check.service
# once the boot is done; the root is a snapshot, so dpkg -r and -P here
# change nothing on the host.

H=/e2e/host
# The scenarios run in busybox's sh, which prefers its own applets: dpkg,
# man and the like are named by their paths, or busybox's would run.

step "dpkg -i installed the package; nothing was enabled by it; its initramfs-tools hook added nothing while the config had no entry"
note "$(cat "$H/dpkg-i.out" 2>&1)"
expect_eq "dpkg -i exit status" "$(cat "$H/dpkg-i.rc" 2>&1)" 0
run /usr/bin/dpkg-query -W -f '${Status} ${Version}\n' vfnet
expect_out "install ok installed"
expect_eq "enable links before systemctl enable" "$(cat "$H/enabled-before.list" 2>&1)" ""
note "mkinitramfs: $(cat "$H/inert-initrd.err" 2>&1)"
expect_eq "mkinitramfs with the package (exit status)" "$(cat "$H/inert-initrd.rc" 2>&1)" 0
note "vfnet in the image: $(grep vfnet "$H/inert-initrd.list" | tr '\n' ' ')"
# The boot script is there (mkinitramfs copies every script), but not the
# binary or the config it needs: it exits at once.
check "the image has neither vfnet's binary nor its config (config without entries)" sh -c "! grep -q 'sbin/vfnet\|etc/vfnet' '$H/inert-initrd.list'"
check "the image was listed (it has the kernel's modules dir)" grep -q 'lib/modules' "$H/inert-initrd.list"

step "with an entry in the config, the package's hook puts vfnet and the config in an image; it gives way to a hook vfnet install wrote in /etc"
note "mkinitramfs (asked): $(cat "$H/asked-initrd.err" 2>&1)"
expect_eq "mkinitramfs with an entry (exit status)" "$(cat "$H/asked-initrd.rc" 2>&1)" 0
# The package's hook and boot script both name /usr/sbin/vfnet (build-deb
# makes the glue's /usr/local/sbin the package's /usr/sbin throughout).
check "the image has vfnet at /usr/sbin/vfnet, where the package's boot script runs it" grep -q '^usr/sbin/vfnet$' "$H/asked-initrd.list"
check "the image has the config" grep -q 'etc/vfnet/vfnet.conf$' "$H/asked-initrd.list"
check "the image has the boot script" grep -q 'scripts/init-premount/vfnet$' "$H/asked-initrd.list"
note "mkinitramfs (/etc hook): $(cat "$H/etc-hook-initrd.err" 2>&1)"
expect_eq "mkinitramfs with a hook in /etc (exit status)" "$(cat "$H/etc-hook-initrd.rc" 2>&1)" 0
check "the /etc hook ran" grep -q 'the /etc hook ran' "$H/etc-hook-initrd.err"
check "the package's hook gave way: no vfnet binary in that image" sh -c "! grep -q 'sbin/vfnet$' '$H/etc-hook-initrd.list'"

step "vfnet --version and the binary are the package's (/usr/sbin/vfnet, static)"
run /usr/sbin/vfnet --version
expect_rc 0
expect_out "vfnet "
run sh -c 'command -v vfnet'
expect_out "/usr/sbin/vfnet"

step "man -l renders vfnet(8) without warnings (MANWIDTH=80 man --warnings)"
run sh -c 'MANWIDTH=80 /usr/bin/man --warnings -l /usr/share/man/man8/vfnet.8.gz > /tmp/man.txt'
expect_rc 0
expect_err_empty
check "the page has NAME, VFNET SET and EXIT STATUS" sh -c 'grep -q "^NAME" /tmp/man.txt && grep -q "VFNET SET" /tmp/man.txt && grep -q "EXIT STATUS" /tmp/man.txt'
run /usr/bin/man -w vfnet
expect_out "/usr/share/man/man8/vfnet.8.gz"

step "bash completion from /usr/share/bash-completion answers: vfnet s, vfnet set --, vfnet vf eth0 0 tr"
# bash-completion loads a command's completion on first use
# (_completion_loader); COMP_LINE and COMP_POINT are what bash sets.
cat > /tmp/complete.sh << 'SH'
. /usr/share/bash-completion/bash_completion
_completion_loader vfnet
complete -p vfnet
c() { COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<< "$1"; COMP_CWORD=${#COMP_WORDS[@]}; _vfnet; echo "$1 => ${COMPREPLY[*]}"; }
c 'vfnet s'
c 'vfnet set --'
c 'vfnet vf eth0 0 tr'
SH
run /bin/bash /tmp/complete.sh
expect_rc 0
expect_out "complete -F _vfnet vfnet"
expect_out "vfnet s => set"
expect_out "--dry-run"
expect_out "vfnet vf eth0 0 tr => trust"

step "the package's unit passes systemd-analyze verify"
run systemd-analyze verify /usr/lib/systemd/system/vfnet.service
expect_rc 0
expect_no_err "vfnet.service"
run systemctl cat vfnet.service
expect_out "ExecStart=/usr/sbin/vfnet apply --wait"
expect_out "Documentation=man:vfnet(8)"

step "enabled with systemctl enable, the package's vfnet.service made 3 VFs at boot"
note "$(cat "$H/enable.out" 2>&1)"
expect_eq "systemctl enable exit status" "$(cat "$H/enable.rc" 2>&1)" 0
run systemctl show -p ActiveState,Result,FragmentPath vfnet.service
expect_out "ActiveState=active"
expect_out "Result=success"
expect_out "systemd/system/vfnet.service"
expect_no_out "/etc/systemd/system/vfnet.service"
run journalctl -b -o cat -u vfnet.service
expect_out "0 -> 3"
check "3 VFs ready" vfs_ready 3

step "dpkg -r removes everything but the config (and the unit's enable link); dpkg -P the config too"
/usr/bin/dpkg-query -L vfnet > /tmp/vfnet.files
# The harness's baseline took the config away: the admin's one, edited.
mkdir -p /etc/vfnet
printf '%s=3\n' "$PF_PCI" > /etc/vfnet/vfnet.conf
note "before dpkg -r: $(ls -l /etc/systemd/system/sysinit.target.wants/ 2>&1 | tr '\n' ' ')"
run /usr/bin/dpkg -r vfnet
expect_rc 0
left=""
while read -r f; do
  [ -d "$f" ] && continue
  [ "$f" = /etc/vfnet/vfnet.conf ] && continue
  [ -e "$f" ] || [ -L "$f" ] || continue
  left="$left $f"
done < /tmp/vfnet.files
note "the package listed $(wc -l < /tmp/vfnet.files) paths; left after dpkg -r:$left"
check "dpkg listed the package's files" grep -q '^/usr/sbin/vfnet$' /tmp/vfnet.files
expect_eq "files left after dpkg -r, but the config" "$left" ""
check "the config stays after dpkg -r" test -f /etc/vfnet/vfnet.conf
note "after dpkg -r: $(ls -l /etc/systemd/system/sysinit.target.wants/ 2>&1 | tr '\n' ' ')"
run /usr/bin/dpkg-query -W -f '${Status}\n' vfnet
expect_out "config-files"
links=$(find /etc/systemd/system -name 'vfnet*' 2> /dev/null)
expect_eq "enable links left after dpkg -r" "$links" ""
run /usr/bin/dpkg -P vfnet
expect_rc 0
check "/etc/vfnet/vfnet.conf is gone after dpkg -P" test ! -e /etc/vfnet/vfnet.conf
run /usr/bin/dpkg-query -W -f '${Status}\n' vfnet
expect_no_out "installed"
step_close
