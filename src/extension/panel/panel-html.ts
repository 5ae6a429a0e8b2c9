import { randomBytes } from 'node:crypto';

/**
 * The scoring panel's HTML shell. Pure (no `vscode` import) so it is testable in plain Node and in a
 * browser test page. The CSP allows only the extension's own resources (`cspSource`) and the one script
 * carrying the nonce: no inline styles, no inline handlers, no eval. The webview bundle builds its DOM with
 * createElement and styles it through media/panel.css, CSSOM and Lit's adopted stylesheets, which this
 * CSP permits.
 */
export interface PanelHtmlOptions {
  /** webview.cspSource: the origin webview resources are served from. */
  cspSource: string;
  nonce: string;
  /** asWebviewUri of dist/webview.js and media/panel.css. */
  scriptUri: string;
  styleUri: string;
  title: string;
}

export function panelCsp(cspSource: string, nonce: string): string {
  return (
    [
      `default-src 'none'`,
      `img-src ${cspSource} data:`,
      `style-src ${cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${cspSource}`,
    ].join('; ') + ';'
  );
}

export function renderPanelHtml({ cspSource, nonce, scriptUri, styleUri, title }: PanelHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(nonce)) throw new Error('nonce must be base64 or hex');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(panelCsp(cspSource, nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${escapeHtml(styleUri)}">
</head>
<body>
  <div id="app" aria-busy="true"></div>
  <script nonce="${nonce}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}

/** A fresh nonce for every HTML render: 128 random bits, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** For text and double-quoted attribute values (the only kind this file writes), so the CSP's 'quotes' stay readable. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch] as string);
}
