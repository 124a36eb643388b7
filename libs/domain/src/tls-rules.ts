import type { ListenerProtocol, ListenerSettings } from '@lbaas/events';
import { validationFailure } from './field-rules';

/** A certificate reference as events carry it: a URL of a secret or container, nothing that could hold a PEM. */
const REF = /^https?:\/\/[A-Za-z0-9.\-:[\]]+(\/[A-Za-z0-9._~\-/]*)?\/v1\/(secrets|containers)\/[0-9a-fA-F-]{36}$/;

/** TERMINATED_HTTPS needs a default certificate; other protocols take none (Octavia's listener TLS validation). */
export const checkTlsSettings = (protocol: ListenerProtocol, x: ListenerSettings): void => {
  const refs = [...(x.defaultTlsContainerRef ? [x.defaultTlsContainerRef] : []), ...(x.sniContainerRefs ?? [])];
  if (protocol === 'TERMINATED_HTTPS') {
    if (!x.defaultTlsContainerRef) throw validationFailure('A default_tls_container_ref is required for TERMINATED_HTTPS listeners.');
  } else if (refs.length > 0) {
    throw validationFailure(`default_tls_container_ref and sni_container_refs are only valid for TERMINATED_HTTPS listeners, not ${protocol}.`);
  }
  for (const ref of refs) {
    if (!REF.test(ref)) throw validationFailure(`${ref.slice(0, 80)} is not a valid certificate reference.`);
  }
};
