// Types of build.mjs for the TypeScript that imports it (the benchmark).
export declare const BACKEND: string;
export declare const SRC: string;
export declare const DIST: string;
export declare function buildState(): 'fresh' | 'missing' | 'stale';
export declare function build(log?: (line: string) => void): void;
