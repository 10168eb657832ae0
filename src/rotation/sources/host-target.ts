/** A live node to read the served certificate from. Its own module: naming one loads no prober. */
export interface HostTarget {
  host: string;
  port: number;
}

export const hostLabel = (t: HostTarget) => `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
