// The in-project OpenFeature provider: flags from the registry, states from PostgreSQL through the cache,
// evaluated in memory. Call sites only know the OpenFeature client (service.ts), so Unleash or Flagsmith can
// replace this provider without touching them.
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { evaluate, type FlagState } from './evaluate.js';
import { FLAGS, isFlagKey } from './registry.js';

export class AcolheFlagProvider implements Provider {
  readonly metadata = { name: 'acolhe' } as const;
  readonly runsOn = 'server' as const;

  /** `states`: the current state of every flag someone set, by key. */
  constructor(private readonly states: () => Promise<ReadonlyMap<string, FlagState>>) {}

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    if (!isFlagKey(flagKey))
      return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: flagKey };
    const who = { userId: String(context.targetingKey ?? ''), role: String(context.role ?? '') };
    const r = evaluate(flagKey, FLAGS[flagKey], (await this.states()).get(flagKey), who);
    return { value: r.value, reason: r.reason, variant: r.value ? 'on' : 'off' };
  }

  // Every flag of this project is a boolean.
  private mismatch<T>(value: T): Promise<ResolutionDetails<T>> {
    return Promise.resolve({ value, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
  }
  resolveStringEvaluation = (_k: string, d: string) => this.mismatch(d);
  resolveNumberEvaluation = (_k: string, d: number) => this.mismatch(d);
  resolveObjectEvaluation = <T extends JsonValue>(_k: string, d: T) => this.mismatch(d);
}
