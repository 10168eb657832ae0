import fs from 'node:fs';
import { inspect } from 'node:util';
import { ToolError, fileSystemError } from '../core/errors.js';

/** Where the Cloud API lives unless COCKROACH_SERVER says otherwise (the Terraform provider's variable). */
export const DEFAULT_CLOUD_SERVER = 'https://cockroachlabs.cloud';

const REDACTED = '[redacted API key]';

/**
 * A service-account API key. It can be put into an Authorization header and nowhere else: it
 * prints, serialises and inspects as "[redacted API key]", so a log line or an error that
 * carries it by mistake still shows nothing (DESIGN.md §5).
 */
export class ApiKey {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  authorization(): string {
    return `Bearer ${this.#value}`;
  }

  /** Removes the key from text that came back from elsewhere (an API message that echoes it). */
  redact(text: string): string {
    return this.#value.length >= 4 ? text.split(this.#value).join(REDACTED) : text;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export interface CloudSettings {
  server: string;
  /** Undefined when neither COCKROACH_API_KEY nor COCKROACH_API_KEY_FILE is set. */
  apiKey: ApiKey | undefined;
}

/** Reads the key file; a key shared on one line with trailing newline or spaces is common. */
function readKeyFile(file: string): ApiKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw fileSystemError(error, file, 'read the Cloud API key file (COCKROACH_API_KEY_FILE)');
  }
  const key = text.trim();
  if (key === '') throw new ToolError('invalid_input', `the Cloud API key file ${file} (COCKROACH_API_KEY_FILE) is empty`, 'Put the service account\'s secret key in it, on one line.');
  if (/\s/.test(key)) throw new ToolError('invalid_input', `the Cloud API key file ${file} (COCKROACH_API_KEY_FILE) holds more than one word`, 'The file must hold the secret key alone, on one line.');
  return new ApiKey(key);
}

function normaliseServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ToolError('invalid_input', `COCKROACH_SERVER=${server} is not a URL`, `Leave it unset for ${DEFAULT_CLOUD_SERVER}, or give a full URL such as https://cockroachlabs.cloud.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ToolError('invalid_input', `COCKROACH_SERVER=${server} is not an http(s) URL`, `Leave it unset for ${DEFAULT_CLOUD_SERVER}.`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The Cloud API settings of this process: COCKROACH_SERVER (default https://cockroachlabs.cloud,
 * as the Terraform provider has it), the key from COCKROACH_API_KEY or else from the file named
 * by COCKROACH_API_KEY_FILE. The key is read here and leaves only inside an ApiKey.
 */
/** Where the Cloud API is and how its key is given, as core's Config reads them from the environment. */
export interface CloudConfig {
  server: string | undefined;
  apiKeyFile: string | undefined;
  apiKey: () => string | undefined;
}

export function cloudSettings(config: { cloud: CloudConfig }): CloudSettings {
  const server = normaliseServer(config.cloud.server ?? DEFAULT_CLOUD_SERVER);
  const fromEnv = config.cloud.apiKey()?.trim();
  if (fromEnv) return { server, apiKey: new ApiKey(fromEnv) };
  if (config.cloud.apiKeyFile) return { server, apiKey: readKeyFile(config.cloud.apiKeyFile) };
  return { server, apiKey: undefined };
}

/** The key, or an error that says how to provide one. */
export function requireApiKey(settings: CloudSettings): ApiKey {
  if (!settings.apiKey) {
    throw new ToolError(
      'invalid_input',
      'no CockroachDB Cloud API key: COCKROACH_API_KEY and COCKROACH_API_KEY_FILE are both unset',
      'Create a service account with the Cluster Admin or Cluster Operator role in the Cloud Console (Organization → Access Management → Service Accounts), then set COCKROACH_API_KEY to its secret key, or COCKROACH_API_KEY_FILE to a file holding it.',
    );
  }
  return settings.apiKey;
}
