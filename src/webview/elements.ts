// The few vscode-elements components the panel uses, imported one by one (not the whole library) to keep
// dist/webview.js small. Each import registers its custom element.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
