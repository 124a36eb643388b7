import { join } from 'node:path';

/** The real openstack CLI (Debian's python3-openstackclient with python3-octaviaclient). */
export const OPENSTACK = '/usr/bin/openstack';

/**
 * The environment of the tests' openstack CLI runs: the CLI's `--wait` polls every 3 s (python/sitecustomize.py scales
 * its sleeps to a twentieth: 150 ms), so a test of dozens of waits is not minutes of sleeping. Requests are unchanged.
 */
export const cliEnv = (): Record<string, string> => ({
  PYTHONPATH: [join(__dirname, 'python'), process.env.PYTHONPATH].filter(Boolean).join(':'),
  LBAAS_TEST_CLI_SLEEP_SCALE: '0.05',
});
