/**
 * The little of the DOM that the browser tests' page callbacks (page.evaluate and friends, which run in Chromium)
 * touch, typed by hand: the root tsconfig, which checks these files, has no DOM lib on purpose (src/webview/state.ts
 * must compile without it). Types only: the tests declare the page's globals with them, module-local, and nothing
 * here exists at run time.
 */
export interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly shadowRoot: {
    readonly adoptedStyleSheets: readonly unknown[];
    querySelector(selector: string): PageElement | null;
  } | null;
  innerHTML: string;
  closest(selector: string): PageElement | null;
  append(...nodes: PageElement[]): void;
  remove(): void;
}

export interface PageImage extends PageElement {
  readonly src: string;
  readonly complete: boolean;
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  addEventListener(type: 'load', listener: (event: unknown) => void, options?: { once?: boolean }): void;
}

export interface PageDocument {
  readonly activeElement: PageElement | null;
  readonly body: PageElement;
  readonly images: Iterable<PageImage>;
  querySelector<E extends PageElement = PageElement>(selector: string): E | null;
  createElement(tag: string): PageElement;
}

export interface PageWindow {
  readonly document: PageDocument;
  /** What the panel posted through the stub acquireVsCodeApi (init-script.js). */
  readonly __posted: { method?: string }[];
  /** The securitypolicyviolation events seen (init-script.js). */
  readonly __csp: string[];
  postMessage(message: unknown, targetOrigin: string): void;
}

export interface PageStyle {
  readonly gridTemplateColumns: string;
  readonly backgroundColor: string;
  readonly imageOrientation: string;
  readonly fill: string;
}

export interface PageStorage {
  clear(): void;
}
