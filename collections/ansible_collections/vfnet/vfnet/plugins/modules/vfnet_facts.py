#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: vfnet developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: vfnet_facts
short_description: SR-IOV PFs and VFs of a host as facts, from vfnet list --json
version_added: "0.2.0"
description:
  - Runs C(vfnet list --json) and returns its document as the fact C(vfnet), with
    C(vfnet.pfs) (every PF with its driver, C(total_vfs), C(num_vfs), C(configured_vfs))
    and C(vfnet.vfs) (every VF with its PF, index, MAC, driver, settings and users).
  - Changes nothing.
  - The document's fields are listed in vfnet's README ("JSON documents"), version 1.
requirements:
  - The vfnet binary on the managed host (the C(vfnet.vfnet.vfnet) role installs it).
options:
  all:
    description:
      - Also list SR-IOV capable PCI devices without a network interface (an NVMe drive,
        a GPU, a NIC whose driver is not bound), as C(vfnet list --all) does.
    type: bool
    default: false
  binary:
    description:
      - The vfnet binary. A plain name is looked for on the PATH and in C(/usr/local/sbin),
        C(/usr/sbin) and C(/usr/local/bin) (where C(vfnet install) and the role put it).
    type: str
    default: vfnet
  root:
    description: vfnet's C(--root), for tests on fake sysfs trees and for chroots.
    type: path
  config:
    description: vfnet's C(--config), for tests and chroots.
    type: path
attributes:
  check_mode:
    description: It changes nothing in any mode.
    support: full
  diff_mode:
    description: There is nothing to show.
    support: none
  facts:
    description: The document is returned as the C(vfnet) fact.
    support: full
author:
  - vfnet developers (@vfnet)
'''

EXAMPLES = r'''
- name: Read the host's PFs and VFs
  vfnet.vfnet.vfnet_facts:

- name: Show each PF's VF count
  ansible.builtin.debug:
    msg: "{{ item.pci }}: {{ item.num_vfs }} VFs"
  loop: "{{ ansible_facts.vfnet.pfs }}"
'''

RETURN = r'''
ansible_facts:
  description: The facts.
  returned: always
  type: dict
  contains:
    vfnet:
      description: The document of C(vfnet list --json), with keys C(version), C(pfs) and C(vfs).
      returned: always
      type: dict
      sample:
        version: 1
        pfs:
          - {pci: "0000:01:00.0", interface: enp1s0f0, driver: ixgbe, sriov_capable: true,
             total_vfs: 63, num_vfs: 4, configured_vfs: 4, iommu_group: 15}
        vfs:
          - {pci: "0000:02:10.0", interface: enp1s0f0v0, parent_pci: "0000:01:00.0", index: 0,
             driver: ixgbevf, iommu_group: 17, used_by: null, settings: null}
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vfnet.vfnet.plugins.module_utils.vfnet import base_command, binary, vfnet_message


def main():
    module = AnsibleModule(
        argument_spec=dict(
            all=dict(type='bool', default=False),
            binary=dict(type='str', default='vfnet'),
            root=dict(type='path'),
            config=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    p['binary'] = binary(module, p)
    cmd = base_command(p) + ['list', '--json']
    if p['all']:
        cmd.append('--all')
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg='vfnet list failed: %s' % (vfnet_message(err) or out.strip()),
                         rc=rc, stderr=err, cmd=cmd)
    try:
        doc = json.loads(out)
    except ValueError as e:
        module.fail_json(msg='vfnet list printed no JSON document: %s' % e, stdout=out)
    module.exit_json(changed=False, ansible_facts=dict(vfnet=doc))


if __name__ == '__main__':
    main()
