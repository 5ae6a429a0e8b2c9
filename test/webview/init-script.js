// Runs in the test page before any of its scripts (page.addInitScript), as plain JS so that nothing the
// TypeScript loader adds (helpers such as __name) leaks into the page. THEMES is prepended by harness.ts.
// It stands in for VS Code's webview host: the acquireVsCodeApi stub, the theme variables, a CSP listener.
/* global THEMES */
(() => {
  const posted = [];
  const csp = [];
  window.__posted = posted;
  window.__csp = csp;
  document.addEventListener(
    'securitypolicyviolation',
    (e) => csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    true,
  );
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      // VS Code structured-clones messages; a JSON round trip catches anything that would not survive.
      postMessage: (m) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => {
        const s = sessionStorage.getItem('vscode-state');
        return s ? JSON.parse(s) : undefined;
      },
      setState: (s) => {
        sessionStorage.setItem('vscode-state', JSON.stringify(s));
        return s;
      },
    };
  };
  const theme = THEMES[new URLSearchParams(location.search).get('theme') || 'dark'];
  // VS Code puts the variables on <html> and the theme kind on <body>, before the page's scripts run.
  // The elements do not exist yet when this runs, so apply them as the parser creates them.
  const apply = () => {
    const html = document.documentElement;
    if (html && !html.dataset.themed) {
      html.dataset.themed = '1';
      for (const [name, value] of Object.entries(theme.vars)) html.style.setProperty(name, value);
    }
    if (document.body && !document.body.classList.contains(theme.bodyClass)) {
      document.body.classList.add(theme.bodyClass);
      document.body.dataset.vscodeThemeKind = theme.kind;
      return true;
    }
    return false;
  };
  if (!apply()) {
    const observer = new MutationObserver(() => apply() && observer.disconnect());
    observer.observe(document, { childList: true, subtree: true });
  }
})();
