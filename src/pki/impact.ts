/** What an operation would do, computed before doing it; the tool contract's assessment. */
export interface Impact {
  severity: 'low' | 'medium' | 'high';
  impact: string;
  changes: string[];
  rollback: string;
  state_fingerprint: string;
}

export const maxSeverity = (...levels: Impact['severity'][]): Impact['severity'] =>
  levels.includes('high') ? 'high' : levels.includes('medium') ? 'medium' : 'low';
