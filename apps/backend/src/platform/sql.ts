// The one way to build a statement whose shape varies (optional filters, a PATCH's columns, a sort):
// values only ever travel as `$n` placeholders; identifiers come from whitelists in the caller's file.
import type { Statement } from './db.js';

/** Escapes LIKE/ILIKE wildcards so search text is matched literally (used with ESCAPE '\'). */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Collects values and hands out their placeholders, and the conditions of a WHERE clause.
 * An optional filter adds its condition only when it has a value, so each combination of filters is its own
 * statement text with its own plan. Never `($1 IS NULL OR col = $1)`: once PostgreSQL switches a prepared
 * statement to a generic plan, that form cannot use the column's index (docs/database/conventions.md).
 */
export class SqlBuilder {
  readonly values: unknown[] = [];
  private readonly conditions: string[] = [];
  private readonly shape: string[] = [];

  /** A placeholder (`$n`) for `value`. */
  param(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** A condition every row must meet. */
  where(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  /** `condition(placeholder of value)` when `value` is given (not undefined or null); nothing otherwise. */
  filter<T>(label: string, value: T | undefined | null, condition: (ref: string) => string): this {
    if (value === undefined || value === null) return this;
    this.shape.push(label);
    return this.where(condition(this.param(value)));
  }

  /** `WHERE a AND b ...`, or nothing. */
  whereClause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }

  /**
   * The statement. With `name`, each shape (the filters present) is prepared once per connection under
   * `name(filters)`, and slow-query logs and metrics still tell the shapes apart.
   */
  statement(text: string, name?: string): Statement {
    return { text, values: this.values, ...(name ? { name: `${name}(${this.shape.join(',')})` } : {}) };
  }
}
