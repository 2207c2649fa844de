// Bundling alias for `node-fetch` (see OrchestratorFunctionProps.fetch): Node 22's built-in fetch.
export default globalThis.fetch;
