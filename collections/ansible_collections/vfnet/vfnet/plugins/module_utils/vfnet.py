# -*- coding: utf-8 -*-
# Copyright: vfnet developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the vfnet modules share: how they name the vfnet binary, its root and its config."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def base_command(params):
    """The vfnet command line up to the subcommand: the binary and its global options."""
    cmd = [params['binary']]
    if params['root']:
        cmd += ['--root', params['root']]
    if params['config']:
        cmd += ['--config', params['config']]
    return cmd
