/**
 * Renders evaluation results, validation results and audit reports: JSON for machines, and text a person reads
 * in one glance (decision first, then why, then each statement).
 * @module
 */
import { describeRef } from './compile.js';
import type { CrossAccountCheck, EvaluationResult, StatementRef } from './types.js';
import type { AuditReport } from './audit.js';

/** The `--json` shape of an evaluation. */
export interface EvaluationJson {
  decision: EvaluationResult['decision'];
  matchedStatements: StatementRef[];
  reasons: string[];
  /** Present for a cross-account request: which side allowed (both must). */
  crossAccount?: CrossAccountCheck;
  statements?: Array<{ statement: StatementRef; applied: boolean; reason: unknown }>;
}

/**
 * The JSON form of an evaluation: `{decision, matchedStatements, reasons}` (plus `statements` when traced).
 * @example
 * JSON.stringify(evaluationToJson(result))
 */
export function evaluationToJson(result: EvaluationResult): EvaluationJson {
  const out: EvaluationJson = { decision: result.decision, matchedStatements: result.matchedStatements, reasons: result.reasons };
  if (result.crossAccount !== null) out.crossAccount = result.crossAccount;
  if (result.trace !== null) out.statements = result.trace.map((t) => ({ statement: t.statement, applied: t.applied, reason: t.reason }));
  return out;
}

function refText(ref: StatementRef): string {
  return `${ref.policy} ${describeRef(ref)} ${ref.effect}`;
}

/**
 * The one-glance text form of an evaluation.
 * @example
 * renderEvaluationText(result, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' })
 */
export function renderEvaluationText(result: EvaluationResult, request: { action: string; resource?: string }): string {
  const lines: string[] = [];
  const on = request.resource === undefined ? '' : ` on ${request.resource}`;
  lines.push(`${result.decision}: ${request.action}${on}`);
  for (const r of result.reasons) lines.push(`  ${r}`);
  if (result.trace !== null) {
    for (const t of result.trace) {
      if (t.applied) lines.push(`  applied      ${refText(t.statement)}`);
      else lines.push(`  not applied  ${refText(t.statement)}: ${t.reason!.message}`);
    }
  } else {
    for (const m of result.matchedStatements) lines.push(`  applied      ${refText(m)}`);
  }
  return lines.join('\n') + '\n';
}

/** Text form of an audit report for one file. */
export function renderAuditText(file: string, report: AuditReport): string {
  if (report.findings.length === 0) return `${file}: no findings\n`;
  const lines = [`${file}: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} (highest: ${report.highest})`];
  for (const f of report.findings) {
    const where = f.statement === null ? 'policy' : `statement #${f.statement.index}${f.statement.sid === null ? '' : `, Sid "${f.statement.sid}"`}`;
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.id} ${f.rule} (${where})`);
    lines.push(`           ${f.problem}`);
    lines.push(`           fix: ${f.fix}`);
  }
  return lines.join('\n') + '\n';
}
