import { AUTH_SIGNALS } from './auth.js';
import { CHANGEFEED_SIGNALS } from './changefeed.js';
import { CLIENT_CERT_SIGNALS } from './client-cert.js';
import { CLOUD_ROUTING_SIGNALS } from './cloud-routing.js';
import { EXPIRY_SIGNALS } from './expiry.js';
import { HOSTNAME_SIGNALS } from './hostname.js';
import { KEY_SIGNALS } from './key.js';
import { TRANSPORT_SIGNALS } from './transport.js';
import { TRUST_SIGNALS } from './trust.js';
import type { Signal } from './types.js';

/** The hand-written rules, one family per file. */
export const RULE_SIGNALS: Signal[] = [
  ...TRUST_SIGNALS,
  ...HOSTNAME_SIGNALS,
  ...EXPIRY_SIGNALS,
  ...CLIENT_CERT_SIGNALS,
  ...KEY_SIGNALS,
  ...TRANSPORT_SIGNALS,
  ...CLOUD_ROUTING_SIGNALS,
  ...CHANGEFEED_SIGNALS,
  ...AUTH_SIGNALS,
];
