// The architecture as rules, checked by `npm run depcheck` (part of `npm test`). A broken rule fails the run
// and names the importing file, the imported one and the rule.
/** `vscode` resolves to its type declarations (@types/vscode) or, in a bundle, to nothing. */
const VSCODE = ['^vscode$', '(^|/)node_modules/@types/vscode/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Import cycles (type-only ones too) make modules impossible to read or test on their own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-the-engine',
      comment: 'src/core runs in plain Node (CLI, worker, tests): it never imports vscode, nor the shells built on it.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(extension|worker|cli|webview)/', ...VSCODE] },
    },
    {
      name: 'vscode-only-in-the-extension',
      comment: 'The vscode module exists only in the extension host: the worker, the CLI and the panel cannot load it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/extension/' },
      to: { path: VSCODE },
    },
    {
      name: 'webview-talks-only-through-the-protocol',
      comment: 'The panel runs in a browser frame; from the rest of src it may use only the message protocol.',
      severity: 'error',
      from: { path: '^src/webview/' },
      to: { path: '^src/', pathNot: ['^src/webview/', '^src/protocol/'] },
    },
    {
      name: 'protocol-is-types-and-checks',
      comment: 'A protocol is shared by both sides of a boundary, so it depends on no side.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { path: '^src/(extension|worker|cli|webview)/' },
    },
    {
      name: 'shells-do-not-import-each-other',
      comment: 'The extension, the worker and the CLI are thin shells over src/core; they meet only in src/protocol.',
      severity: 'error',
      from: { path: '^src/(extension|worker|cli)/' },
      to: { path: '^src/(extension|worker|cli)/', pathNot: '^src/$1/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^vscode$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
