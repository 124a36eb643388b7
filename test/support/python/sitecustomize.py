# Loaded by the tests' openstack CLI runs (PYTHONPATH=test/support/python, test/support/cli.ts): the CLI's --wait
# polls a resource's status, then sleeps 3 s (octaviaclient) or 5 s (osc-lib) before it looks again. A test runs dozens
# of --wait commands against a stack that converges in ~100 ms, so most of its time was those sleeps. Here a sleep of a
# second or more is scaled by LBAAS_TEST_CLI_SLEEP_SCALE (shorter sleeps, e.g. keystoneauth's, are left as they are).
# Nothing else of the client changes: every request and every status check is its own.
import os
import time

_scale = float(os.environ.get('LBAAS_TEST_CLI_SLEEP_SCALE', '1'))
_sleep = time.sleep


def _scaled_sleep(seconds):
    _sleep(seconds * _scale if seconds >= 1 else seconds)


if 0 < _scale < 1:
    time.sleep = _scaled_sleep
