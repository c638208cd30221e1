#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: vfnet developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: vfnet_config
short_description: Manage a PF's entries in the vfnet config file, and apply them
version_added: "0.2.0"
description:
  - Records the VF count and VF settings of one SR-IOV physical function (PF) in the
    vfnet config file (C(/etc/vfnet/vfnet.conf)), or removes them, and optionally
    applies the whole config at once.
  - Everything that reads or changes the system goes through the vfnet binary
    (C(vfnet persist), C(vfnet apply --json)), so the rules (checks against the
    device's total, the guard for VFs in use, entry syntax) are vfnet's own.
  - C(changed) is true exactly when the config file changed or apply changed
    something. Check mode predicts both with C(--dry-run); diff mode shows the
    config file before and after.
options:
  pf:
    description:
      - The PF, by PCI address (C(0000:01:00.0)) or interface name (C(enp1s0f0)).
      - In YAML, quote a PCI address ("0000:01:00.0"), else YAML 1.1 reads it as a number.
      - One of I(pf) and I(pfs) is required.
    type: str
  pfs:
    description:
      - Several PFs in one task, each an item with I(pf) and its own I(count), I(vfs),
        I(eswitch) and I(state), recorded in order; with I(apply), the config is then
        applied once for all of them (not once per PF).
      - In check mode each item is predicted on the config as the items before it would
        leave it, and the one apply on the config as all of them would.
      - Each item takes the options I(pf), I(count), I(eswitch), I(vfs) and I(state),
        as the module does, and is checked as they are.
      - An empty list with I(apply) records nothing and applies the config as it is (an
        apply-only task, for a handler).
    type: list
    elements: dict
  count:
    description:
      - The number of VFs to record for the PF. Checked against its C(sriov_totalvfs).
      - Without it, with I(vfs) or I(eswitch), the recorded count is left as it is.
    type: int
  eswitch:
    description:
      - The PF's eswitch mode (C(PF.eswitch=MODE)), set over devlink by C(vfnet apply)
        before the PF's VFs are created. C(switchdev) gives each VF a representor netdev
        (for OVS or tc); a driver without a devlink eswitch (igb, ixgbe, i40e) fails that
        entry alone at apply.
    type: str
    choices: [legacy, switchdev]
  vfs:
    description:
      - VF settings to record, one item per VF selection. Each item has C(vf) (C(all),
        an index such as C(3), or a range such as C(0-3)) and one or more settings.
      - Settings are written as vfnet's config keys; only those given are written.
    type: list
    elements: dict
    suboptions:
      vf:
        description: C(all), an index, or a range C(A-B).
        type: str
        required: true
      mac:
        description: A MAC address, or C(auto) for a stable MAC derived from the PF's.
        type: str
      vlan:
        description: VLAN id, 0 for none.
        type: int
      qos:
        description: 802.1p priority, 0-7.
        type: int
      proto:
        description: The VLAN protocol.
        type: str
        choices: [802.1Q, 802.1ad]
      trust:
        description: Whether the VF may change its MAC and use promiscuous mode.
        type: bool
      spoofchk:
        description: Whether frames with a source MAC other than the VF's are dropped.
        type: bool
      query_rss:
        description: Whether the VF may query the PF's RSS configuration.
        type: bool
      state:
        description: The VF's link state.
        type: str
        choices: [auto, enable, disable]
      rate:
        description: TX rate limits in Mbit/s as C(MIN,MAX) (0 is no limit).
        type: str
      mtu:
        description: The MTU of the VF's netdev on the host.
        type: int
      driver:
        description: C(vfio-pci) to hand the VF to a VM, C(default) for its own driver.
        type: str
        choices: [vfio-pci, default]
  state:
    description:
      - C(present) records I(count), I(vfs) and I(eswitch); C(absent) removes every entry of the PF.
    type: str
    choices: [present, absent]
    default: present
  apply:
    description:
      - Run C(vfnet apply) afterwards, so the live state follows the whole config file.
      - Entries that fail make the task fail with vfnet's messages; the others apply.
    type: bool
    default: false
  timeout:
    description:
      - With I(apply), vfnet apply's C(--timeout SECS), the bound for waits that may never end
        (a lock, a PF that never appears). Waits the kernel has started get what they need.
    type: float
  wait:
    description:
      - With I(apply), vfnet apply's C(--wait SECS), how long to wait for PFs that are not
        there yet (at boot, a driver still loading).
    type: float
  binary:
    description:
      - The vfnet binary. A plain name is looked for on the PATH and in C(/usr/local/sbin),
        C(/usr/sbin) and C(/usr/local/bin) (where C(vfnet install) and the role put it).
    type: str
    default: vfnet
  root:
    description:
      - vfnet's C(--root). For tests on fake sysfs trees and for chroots; leave unset on
        real hosts.
    type: path
  config:
    description:
      - vfnet's C(--config). Default is C(/etc/vfnet/vfnet.conf) under I(root).
      - Also for tests and chroots.
    type: path
requirements:
  - The vfnet binary on the managed host (the C(vfnet.vfnet.vfnet) role installs it).
notes:
  - C(vfnet apply) applies the whole config file, not only this PF's entries.
  - There is no C(force) option. C(vfnet apply) never destroys VFs in use (the guard);
    an entry they block fails with the users named. Stop them, or run C(vfnet set --force) by hand.
  - VF settings other than C(driver) go through rtnetlink, which vfnet refuses under I(root).
attributes:
  check_mode:
    description: Predicts with C(vfnet persist --dry-run) and C(vfnet apply --dry-run --json).
    support: full
  diff_mode:
    description: The config file before and after.
    support: full
author:
  - vfnet developers (@vfnet)
'''

EXAMPLES = r'''
- name: Eight VFs with stable MACs, VFs 0-3 for VMs
  vfnet.vfnet.vfnet_config:
    pf: enp1s0f0
    count: 8
    vfs:
      - vf: all
        mac: auto
      - vf: 0-3
        driver: vfio-pci
    apply: true

- name: Two PFs recorded, then applied once
  vfnet.vfnet.vfnet_config:
    pfs:
      - pf: enp1s0f0
        count: 8
      - pf: "0000:03:00.0"
        count: 4
        eswitch: switchdev
    apply: true

- name: Apply the config file as it is (from a handler, say), recording nothing
  vfnet.vfnet.vfnet_config:
    pfs: []
    apply: true
    timeout: 60

- name: Forget a PF
  vfnet.vfnet.vfnet_config:
    pf: "0000:03:00.0"  # quoted: YAML reads 0000:03:00.0 as a number
    state: absent
'''

RETURN = r'''
pfs:
  description: With I(pfs), each item's PF and whether its entries changed (would change).
  returned: when I(pfs) is given
  type: list
  elements: dict
config_changed:
  description: Whether the config file changed (in check mode, would change).
  returned: always
  type: bool
config:
  description: The config file as it is after the task (in check mode, would be).
  returned: always
  type: str
apply:
  description:
    - The document that C(vfnet apply --json) printed (in check mode, with C(--dry-run))
      with every config entry (its C(pci), C(index), C(before), C(wanted), C(after), C(status)
      and C(error)), the C(totals) and the C(exit_status).
  returned: when I(apply) is true
  type: dict
  sample:
    version: 1
    config: /etc/vfnet/vfnet.conf
    config_state: read
    dry_run: false
    entries:
      - {lines: [1], entries: ["0000:01:00.0=8"], keys: ["0000:01:00.0"], kind: count,
         pci: "0000:01:00.0", index: null, before: 4, wanted: 8, after: 8,
         changes: ["4 -> 8"], status: changed, error: null}
    totals: {changed: 1, unchanged: 0, failed: 0, skipped: 0, in_use: 0}
    error: null
    exit_status: 0
'''

import json
import os
import re
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.vfnet.vfnet.plugins.module_utils.vfnet import base_command, binary, vfnet_message

SETTINGS = ('mac', 'vlan', 'qos', 'proto', 'trust', 'spoofchk', 'query_rss',
            'state', 'rate', 'mtu', 'driver')


def vf_specs(items):
    """The --vf SPECs of the vfs option, in vfnet's config syntax."""
    specs = []
    for item in items or []:
        sel = str(item['vf']).strip()
        sel = 'vfs' if sel == 'all' else 'vf' + sel
        given = [k for k in SETTINGS if item.get(k) is not None]
        if not given:
            raise ValueError('vfs item for vf %s sets nothing' % item['vf'])
        for key in given:
            value = item[key]
            if isinstance(value, bool):
                value = 'on' if value else 'off'
            specs.append('%s.%s=%s' % (sel, key, value))
    return specs


def config_path(params):
    """The config file as vfnet resolves it: under root, an absolute path is
    a path of the tree's system (vfnet's --config rule)."""
    root = params['root']
    path = params['config'] or '/etc/vfnet/vfnet.conf'
    if root and os.path.isabs(path) and not path.startswith(root.rstrip('/') + '/'):
        return os.path.join(root, path.lstrip('/'))
    return path


def check_dir(params):
    """A temporary directory for check mode's predicted config: inside the
    root when there is one, where vfnet's --config looks. Returns it and
    what to remove afterwards (the root's tmp too when it made it)."""
    base = None
    if params['root']:
        base = os.path.join(params['root'], 'tmp')
        if not os.path.isdir(base):
            os.makedirs(base)
            made = tempfile.mkdtemp(prefix='vfnet-check-', dir=base)
            return made, base
    made = tempfile.mkdtemp(prefix='vfnet-check-', dir=base)
    return made, made


# The largest config vfnet reads (its MAX_SIZE).
MAX_SIZE = 1 << 20


def read_text(path):
    """The config file's text for the diff: a regular file only (a FIFO
    would block), read up to vfnet's own cap; anything else reads as empty
    and vfnet itself reports it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (IOError, OSError):
        return ''
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ''
        with os.fdopen(fd, 'rb') as f:
            fd = None
            return to_text(f.read(MAX_SIZE), errors='surrogate_or_replace')
    finally:
        if fd is not None:
            os.close(fd)


def run_vfnet(module, args, what):
    rc, out, err = module.run_command(args)
    if rc != 0:
        module.fail_json(msg='vfnet %s failed: %s' % (what, vfnet_message(err) or out.strip()),
                         rc=rc, stdout=out, stderr=err, cmd=args)
    return out


def apply_config(module, params, config_text, changed_config):
    """apply --json (check mode: --dry-run, against the config as it would be)."""
    cmd = base_command(params)
    tmpdir = None
    if module.check_mode and changed_config:
        planned_dir, tmpdir = check_dir(params)
        planned = os.path.join(planned_dir, 'vfnet.conf')
        with open(planned, 'w') as f:
            f.write(config_text)
        cmd = with_config(cmd, planned)
    cmd += ['apply', '--json']
    if params['timeout'] is not None:
        cmd += ['--timeout', str(params['timeout'])]
    if params['wait'] is not None:
        cmd += ['--wait', str(params['wait'])]
    if module.check_mode:
        cmd.append('--dry-run')
    try:
        rc, out, err = module.run_command(cmd)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    try:
        doc = json.loads(out)
    except ValueError:
        module.fail_json(msg='vfnet apply failed: %s' % (vfnet_message(err) or out.strip()),
                         rc=rc, stderr=err, cmd=cmd)
    return rc, err, doc


def persist_args(module, p, entry):
    """persist's options and its tail (after `--`) for one PF's entry."""
    if entry['state'] == 'absent' and (entry['count'] is not None or entry['vfs'] or entry['eswitch']):
        module.fail_json(msg='state=absent removes every entry of the PF: give no count, vfs or eswitch')
    if entry['state'] == 'present' and entry['count'] is None and not entry['vfs'] and not entry['eswitch']:
        module.fail_json(msg='state=present needs count, vfs or eswitch (pf %s)' % entry['pf'])
    try:
        specs = vf_specs(entry['vfs'])
    except ValueError as e:
        module.fail_json(msg=str(e))
    if not entry['pf'] or entry['pf'].startswith('-'):
        module.fail_json(msg='pf must be an interface name or a PCI address, not %r' % entry['pf'])
    if re.match(r'^[0-9]+(\.[0-9]+)?$', entry['pf']):
        module.fail_json(msg='pf %s is a number: YAML reads an unquoted PCI address such as '
                             '0000:01:00.1 as one (sexagesimal); quote it: pf: "0000:01:00.1"' % entry['pf'])
    # Options first, then `--`: no value the user gives becomes an option.
    opts = ['persist']
    if entry['state'] == 'absent':
        opts.append('--remove')
    else:
        if entry['eswitch']:
            opts += ['--eswitch', entry['eswitch']]
        for spec in specs:
            opts += ['--vf', spec]
    tail = ['--', entry['pf']]
    if entry['state'] != 'absent' and entry['count'] is not None:
        tail.append(str(entry['count']))
    return opts, tail


def with_config(cmd, path):
    """cmd with its --config set to path."""
    cmd = list(cmd)
    if '--config' in cmd:
        cmd[cmd.index('--config') + 1] = path
    else:
        cmd += ['--config', path]
    return cmd


def record(module, p, entry, current, original, path):
    """One PF's entries recorded (check mode: predicted on `current`, the
    config as the entries before would leave it): the config after, and
    whether it changed."""
    opts, tail = persist_args(module, p, entry)
    base = base_command(p)
    tmpdir = None
    if module.check_mode and current != original:
        planned_dir, tmpdir = check_dir(p)
        planned = os.path.join(planned_dir, 'vfnet.conf')
        with open(planned, 'w') as f:
            f.write(current)
        base = with_config(base, planned)
    try:
        after = run_vfnet(module, base + opts + ['--dry-run'] + tail, 'persist')
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    changed = after != current
    if changed and not module.check_mode:
        run_vfnet(module, base + opts + tail, 'persist')
        after = read_text(path)
    return after, changed


def main():
    vf_options = dict(
        vf=dict(type='str', required=True),
        mac=dict(type='str'),
        vlan=dict(type='int'),
        qos=dict(type='int'),
        proto=dict(type='str', choices=['802.1Q', '802.1ad']),
        trust=dict(type='bool'),
        spoofchk=dict(type='bool'),
        query_rss=dict(type='bool'),
        state=dict(type='str', choices=['auto', 'enable', 'disable']),
        rate=dict(type='str'),
        mtu=dict(type='int'),
        driver=dict(type='str', choices=['vfio-pci', 'default']),
    )
    # One item of pfs: the options of one PF.
    pf_options = {
        'pf': {'type': 'str', 'required': True},
        'count': {'type': 'int'},
        'eswitch': {'type': 'str', 'choices': ['legacy', 'switchdev']},
        'vfs': {'type': 'list', 'elements': 'dict', 'options': vf_options},
        'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
    }
    module = AnsibleModule(
        argument_spec=dict(
            pf=dict(type='str'),
            pfs=dict(type='list', elements='dict'),
            count=dict(type='int'),
            eswitch=dict(type='str', choices=['legacy', 'switchdev']),
            vfs=dict(type='list', elements='dict', options=vf_options),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            apply=dict(type='bool', default=False),
            timeout=dict(type='float'),
            wait=dict(type='float'),
            binary=dict(type='str', default='vfnet'),
            root=dict(type='path'),
            config=dict(type='path'),
        ),
        required_one_of=[['pf', 'pfs']],
        mutually_exclusive=[['pf', 'pfs'], ['pfs', 'count'], ['pfs', 'vfs'], ['pfs', 'eswitch']],
        supports_check_mode=True,
    )
    p = module.params
    p['binary'] = binary(module, p)
    if p['pfs'] is not None:
        # Each item checked as the module's own options are (its vfs too).
        entries = []
        for i, item in enumerate(p['pfs']):
            checked = ArgumentSpecValidator(pf_options).validate(item)
            if checked.error_messages:
                module.fail_json(msg='pfs[%d]: %s' % (i, '; '.join(checked.error_messages)))
            entries.append(checked.validated_parameters)
    else:
        entries = [dict(pf=p['pf'], count=p['count'], eswitch=p['eswitch'],
                        vfs=p['vfs'], state=p['state'])]

    path = config_path(p)
    before = read_text(path)
    # The file as vfnet would write it, PF after PF: the diff, and check
    # mode's prediction.
    after = before
    each = []
    for entry in entries:
        after, changed = record(module, p, entry, after, before, path)
        each.append(dict(pf=entry['pf'], changed=changed))
    config_changed = after != before

    result = dict(changed=config_changed, config_changed=config_changed, config=after)
    if p['pfs'] is not None:
        result['pfs'] = each
    if module._diff:
        result['diff'] = dict(before=before, after=after,
                              before_header=path, after_header=path)
    if p['apply']:
        rc, err, doc = apply_config(module, p, after, config_changed)
        result['apply'] = doc
        if doc.get('totals', {}).get('changed', 0) > 0:
            result['changed'] = True
        if rc != 0:
            problems = []
            for e in doc.get('entries', []):
                if e.get('status') not in ('changed', 'unchanged') and e.get('error') \
                        and e['error'] not in problems:
                    problems.append(e['error'])
            if doc.get('error'):
                problems.insert(0, doc['error'])
            result['stderr'] = err
            module.fail_json(msg='vfnet apply: ' + ('; '.join(problems) or vfnet_message(err)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
