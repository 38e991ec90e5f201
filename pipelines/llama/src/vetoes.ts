import type { Veto } from '@llama/core';

/** The 3.5.1 veto functions (llama/vetoes.py, llama/filehandler/mixins.py). */

function pathContains(word: string): Veto {
  return {
    name: `eventdir_path_contains_string_${word}`,
    check: ({ event }) =>
      event.eventDir.toLowerCase().includes(word) ? `the event directory path contains "${word}"` : false,
  };
}

export const onlineFlagFalse: Veto = {
  name: 'online_flag_false',
  check: ({ flags }) => (flags['ONLINE'] === 'false' ? 'flag ONLINE=false (offline event)' : false),
};

export const roleFlagNotObservation: Veto = {
  name: 'role_flag_not_observation',
  check: ({ flags }) => (flags['ROLE'] !== 'observation' ? `flag ROLE=${flags['ROLE'] ?? '?'} (not an observation)` : false),
};

export const uploadFlagFalse: Veto = {
  name: 'upload_flag_false',
  check: ({ flags }) => (flags['UPLOAD'] === 'false' ? 'flag UPLOAD=false' : false),
};

export const icecubeUploadFlagFalse: Veto = {
  name: 'icecube_upload_flag_false',
  check: ({ flags }) => (flags['ICECUBE_UPLOAD'] === 'false' ? 'flag ICECUBE_UPLOAD=false' : false),
};

export const eventdirPathContainsManual = pathContains('manual');
export const eventdirPathContainsScratch = pathContains('scratch');
export const eventdirPathContainsTest = pathContains('test');
export const eventdirPathContainsInjection = pathContains('injection');

/** 3.5.1 `always_veto`: the file can only be made by hand (ZtfTriggerList). */
export const alwaysVeto: Veto = {
  name: 'always_veto',
  permanent: true,
  check: () => 'this file is never generated automatically; write it by hand (see the README)',
};

/** OnlineVetoMixin: GraceDB fetches are skipped offline or for manual event directories. */
export const ONLINE_VETOES: readonly Veto[] = [onlineFlagFalse, eventdirPathContainsManual];

/** ObservingVetoMixin: only real observations, never scratch/test/injection directories. */
export const OBSERVING_VETOES: readonly Veto[] = [
  roleFlagNotObservation,
  eventdirPathContainsScratch,
  eventdirPathContainsTest,
  eventdirPathContainsInjection,
];

/**
 * Upload receipts, as 3.5.1 intended (its mixin vetoes were shadowed, §6.5): no uploads when
 * UPLOAD=false, for test-role or offline events.
 */
export const UPLOAD_VETOES: readonly Veto[] = [uploadFlagFalse, ...ONLINE_VETOES, ...OBSERVING_VETOES];
export const ICECUBE_UPLOAD_VETOES: readonly Veto[] = [...UPLOAD_VETOES, icecubeUploadFlagFalse];
