// The classification of personal data: one definition, in the database itself. Every column of every table
// carries COMMENT ON COLUMN '<class>[, anonymise=<keep|year|erase>]: <meaning>', written by the migration that
// adds it (docs/adr/0006-column-classification.md); the data_classification view parses it. The audit trigger
// reads it there (it never copies a sensitive column's values); this module loads it once at start for the
// code that needs it: masking in responses (beneficiaries), the data-subject export, anonymisation and the
// data map of docs/privacy.md. test/architecture/classification.test.ts fails when a column has no class.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Db } from './db.js';

export const DATA_CLASSES = ['identifier', 'sensitive', 'personal', 'operational'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];
/** What anonymisation does to a column: erase (NULL, or a pseudonym when NOT NULL), keep, or keep a date's year. */
export type Anonymisation = 'erase' | 'keep' | 'year';

export interface ClassifiedColumn {
  table_schema: string;
  table_name: string;
  column_name: string;
  ordinal: number;
  data_type: string;
  nullable: boolean;
  /** null: the column has no (well-formed) classification. */
  class: DataClass | null;
  anonymise: Anonymisation | null;
  description: string | null;
}

/**
 * The classification a column comment states (the rule column_class() and column_anonymisation() apply in the
 * database; a test keeps the two equal), for readers of docs/database/schema.sql such as the data map.
 */
export function parseColumnComment(
  text: string,
): { class: DataClass; anonymise: Anonymisation; meaning: string } | null {
  const m = /^(identifier|sensitive|personal|operational)(?:, anonymise=(keep|year|erase))?: (\S.*)$/s.exec(text);
  if (!m) return null;
  const cls = m[1] as DataClass;
  const anonymise = (m[2] ?? (cls === 'identifier' || cls === 'sensitive' ? 'erase' : 'keep')) as Anonymisation;
  return { class: cls, anonymise, meaning: m[3]! };
}

/** What an erased NOT NULL text column becomes. */
export const PSEUDONYM = '[anonimizado]';

/** The classification as loaded from data_classification; tables are public-schema names unless qualified. */
export class Classification {
  private readonly byTable = new Map<string, ClassifiedColumn[]>();

  constructor(readonly columns: readonly ClassifiedColumn[]) {
    for (const c of columns) {
      const key = c.table_schema === 'public' ? c.table_name : `${c.table_schema}.${c.table_name}`;
      const list = this.byTable.get(key) ?? [];
      list.push(c);
      this.byTable.set(key, list);
    }
    for (const list of this.byTable.values()) list.sort((a, b) => a.ordinal - b.ordinal);
  }

  /** The table's columns in table order (empty for an unknown table). */
  of(table: string): readonly ClassifiedColumn[] {
    return this.byTable.get(table) ?? [];
  }

  /** Names of the table's columns of the given class, in table order. */
  named(table: string, cls: DataClass): string[] {
    return this.of(table)
      .filter((c) => c.class === cls)
      .map((c) => c.column_name);
  }

  isSensitive(table: string, column: string): boolean {
    return this.of(table).some((c) => c.column_name === column && c.class === 'sensitive');
  }

  /** Columns anonymisation changes (erase or year), in table order. */
  anonymised(table: string): ClassifiedColumn[] {
    return this.of(table).filter((c) => c.anonymise === 'erase' || c.anonymise === 'year');
  }

  /** Public tables holding rows about one beneficiary: those with a beneficiary_id column, by name. */
  subjectTables(): string[] {
    return [...this.byTable.entries()]
      .filter(([name, cols]) => !name.includes('.') && cols.some((c) => c.column_name === 'beneficiary_id'))
      .map(([name]) => name)
      .sort();
  }

  unclassified(): ClassifiedColumn[] {
    return this.columns.filter((c) => c.class === null);
  }
}

/** Every column with its classification, from the database's own view. */
export const CLASSIFICATION_QUERY = {
  name: 'data-classification',
  text: `SELECT table_schema, table_name, column_name, ordinal, data_type, nullable, class, anonymise, description
           FROM data_classification ORDER BY table_schema, table_name, ordinal`,
};

export async function loadClassification(db: Db): Promise<Classification> {
  return new Classification(await db.many<ClassifiedColumn>(CLASSIFICATION_QUERY));
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The column classification, loaded at start (the schema is migrated before the app is built). */
    classification: Classification;
  }
}

/** The `classification` platform plugin: `app.classification`, read once when the app starts. */
export default fp(
  async function classificationPlugin(app: FastifyInstance) {
    app.decorate('classification', await loadClassification(app.db));
  },
  { name: 'classification', dependencies: ['db'] },
);
