// Bundling alias for `abort-controller` (see OrchestratorFunctionProps.fetch): Node 22's own class.
export const AbortController = globalThis.AbortController;
export default globalThis.AbortController;
