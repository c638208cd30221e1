# -*- coding: utf-8 -*-
# Copyright: vfnet developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the vfnet modules share: how they name the vfnet binary, its root and its config."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import os

# Where vfnet install and the role put the binary, searched when the binary
# option is left as plain `vfnet` and it is not on the PATH.
BIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/usr/local/bin']


def binary(module, params):
    """The vfnet binary to run: the binary option when it is a path, else
    vfnet on the PATH or in BIN_DIRS; a missing one fails the task with
    what to do."""
    name = params['binary']
    if os.sep in name:
        if not os.path.isfile(name):
            module.fail_json(msg='no vfnet binary at %s: install it (the vfnet.vfnet.vfnet role, or '
                                 'vfnet install), or point the binary option at it' % name)
        return name
    found = module.get_bin_path(name, opt_dirs=BIN_DIRS)
    if not found:
        module.fail_json(msg='vfnet is not installed on this host (not on the PATH nor in %s): '
                             'install it with the vfnet.vfnet.vfnet role or vfnet install, or set '
                             'the binary option' % ', '.join(BIN_DIRS))
    return found


def vfnet_message(text):
    """vfnet's stderr as one message: its lines without their `vfnet: `
    prefix, each once, in order."""
    seen = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('vfnet: '):
            line = line[len('vfnet: '):]
        if line and line not in seen:
            seen.append(line)
    return '; '.join(seen)


def base_command(params):
    """The vfnet command line up to the subcommand: the binary and its global options."""
    cmd = [params['binary']]
    if params['root']:
        cmd += ['--root', params['root']]
    if params['config']:
        cmd += ['--config', params['config']]
    return cmd
