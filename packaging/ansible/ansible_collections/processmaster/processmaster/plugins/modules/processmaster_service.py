#!/usr/bin/python
# -*- coding: utf-8 -*-
# Manages one service of the processmaster supervisor through pmctl on the managed host.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: processmaster_service
short_description: Manage services supervised by processmaster
version_added: "0.1.0"
description:
  - Starts, stops or restarts a service of the processmaster daemon, reloads every service definition,
    and enables or disables a service (C(global.enabled) in its file), through C(pmctl) on the managed host.
  - Idempotent - reports C(changed) only when it changed something. Supports check mode.
options:
  name:
    description:
      - The service (its name in C(pmctl status)). Not needed for O(state=reloaded).
    type: str
  state:
    description:
      - V(started) and V(stopped) act only when needed. V(restarted) always restarts.
      - V(reloaded) rereads every definition (C(pmctl update)); changed when a service was added, removed, restarted or stopped.
      - A cron job counts as V(started) while an operator has not stopped it; one that was stopped is started
        as C(pmctl start) does (one run now, then its schedule).
      - A disabled service is not started by V(started) unless O(enabled=true) is given too.
    type: str
    choices: [started, stopped, restarted, reloaded]
  enabled:
    description:
      - Whether the service starts by itself (C(pmctl enable) / C(pmctl disable), which keep the file's comments).
    type: bool
  socket:
    description:
      - The daemon's control socket.
    type: path
    default: /run/processmaster/processmaster.sock
  pmctl:
    description:
      - The pmctl to run; it must come from the same build as the daemon.
    type: path
    default: pmctl
author:
  - processmaster developers
'''

EXAMPLES = r'''
- name: Make sure web runs
  processmaster.processmaster.processmaster_service:
    name: web
    state: started

- name: Stop a service and keep it from starting by itself
  processmaster.processmaster.processmaster_service:
    name: worker
    state: stopped
    enabled: false

- name: Apply changed service files
  processmaster.processmaster.processmaster_service:
    state: reloaded
'''

RETURN = r'''
state:
  description: The service's state afterwards (as C(pmctl status) names it).
  returned: when name is given
  type: str
  sample: RUNNING
enabled:
  description: Whether the service is enabled afterwards.
  returned: when name is given
  type: bool
reload:
  description: What a reload did (lines of C(pmctl update)).
  returned: when state is reloaded and not in check mode
  type: list
  elements: str
'''

import json

from ansible.module_utils.basic import AnsibleModule

# States from which "started" needs no action; a cron job waits between runs in these too.
RUNNING_STATES = ('RUNNING', 'STARTING', 'WAITING')
STOPPED_STATES = ('STOPPED', 'EXITED', 'FAILED')


def pmctl(module, *args):
    command = [module.params['pmctl'], '-s', module.params['socket']] + list(args)
    rc, out, err = module.run_command(command)
    if rc != 0:
        module.fail_json(msg='%s failed: %s' % (' '.join(command[3:]), (err or out).strip()), rc=rc, stdout=out, stderr=err)
    return out


def status(module, name):
    services = json.loads(pmctl(module, 'status', name, '--format', 'json'))['services']
    if not services:
        module.fail_json(msg='no service %s' % name)
    return services[0]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            state=dict(type='str', choices=['started', 'stopped', 'restarted', 'reloaded']),
            enabled=dict(type='bool'),
            socket=dict(type='path', default='/run/processmaster/processmaster.sock'),
            pmctl=dict(type='path', default='pmctl'),
        ),
        required_one_of=[('state', 'enabled')],
        required_if=[('enabled', True, ('name',)), ('enabled', False, ('name',)),
                     ('state', 'started', ('name',)), ('state', 'stopped', ('name',)), ('state', 'restarted', ('name',))],
        supports_check_mode=True,
    )
    name, state, enabled = module.params['name'], module.params['state'], module.params['enabled']
    changed = False
    result = {}

    if state == 'reloaded':
        if module.check_mode:
            result['reload'] = []
            module.warn('check mode: a reload cannot be previewed; nothing was reloaded')
        else:
            lines = pmctl(module, 'update').splitlines()
            result['reload'] = lines
            changed = any(line.split(':', 1)[0] in ('added', 'removed', 'restarted', 'stopped') for line in lines)

    if name is not None:
        current = status(module, name)
        if enabled is not None and current['enabled'] != enabled:
            changed = True
            if not module.check_mode:
                pmctl(module, 'enable' if enabled else 'disable', name)
                current = status(module, name)

        is_cron = current.get('kind') == 'cron'
        if state == 'started' and (current['stopped_by_operator'] if is_cron else current['state'] not in RUNNING_STATES):
            changed = True
            if not module.check_mode:
                pmctl(module, 'start', name)
        elif state == 'stopped' and current['state'] not in STOPPED_STATES:
            changed = True
            if not module.check_mode:
                pmctl(module, 'stop', name)
        elif state == 'restarted':
            changed = True
            if not module.check_mode:
                pmctl(module, 'restart', name)

        if not module.check_mode:
            current = status(module, name)
        result['state'] = current['state']
        result['enabled'] = current['enabled']

    module.exit_json(changed=changed, **result)


if __name__ == '__main__':
    main()
