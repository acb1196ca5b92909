// Small helpers for building parameter values (never SQL text) from user input.

/** Escapes LIKE/ILIKE wildcards so search text is matched literally (used with ESCAPE '\'). */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
