import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { makeNonce, panelCsp, renderPanelHtml } from '../../src/extension/panel/panel-html';

const options = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'abc123XYZ+/=',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
  title: 'Vector Tune',
};

test('the CSP allows only the extension origin and the nonce script: no unsafe-inline, no unsafe-eval', () => {
  const csp = panelCsp(options.cspSource, options.nonce);
  assert.equal(
    csp,
    `default-src 'none'; img-src ${options.cspSource} data:; style-src ${options.cspSource}; script-src 'nonce-${options.nonce}'; font-src ${options.cspSource};`,
  );
  const html = renderPanelHtml(options);
  assert.ok(html.includes(`content="${csp}"`));
  assert.doesNotMatch(html, /unsafe-/);
});

test('the shell: stylesheet link, #app, one nonce script, and no inline style or handlers', () => {
  const html = renderPanelHtml(options);
  assert.ok(html.includes(`<link rel="stylesheet" href="${options.styleUri}">`));
  assert.ok(html.includes('<div id="app"'));
  assert.ok(html.includes(`<script nonce="${options.nonce}" src="${options.scriptUri}"></script>`));
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.doesNotMatch(html, /<style|style="|\son[a-z]+=/i);
});

test('values are escaped; a nonce that is not base64 is refused', () => {
  const html = renderPanelHtml({ ...options, title: '<b>"x"</b>', styleUri: 'https://a/b.css?x="><script>' });
  assert.ok(html.includes('<title>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>'));
  assert.ok(html.includes('href="https://a/b.css?x=&quot;&gt;&lt;script&gt;"'));
  assert.throws(() => renderPanelHtml({ ...options, nonce: `x" onload="alert(1)` }));
});

test('makeNonce: 128 random bits, base64, different every time', () => {
  const nonces = new Set(Array.from({ length: 100 }, makeNonce));
  assert.equal(nonces.size, 100);
  for (const n of nonces) assert.equal(Buffer.from(n, 'base64').length, 16);
});
