/** The page's three static files (see `buildInspectorAssets`, which bundles the script). */
export interface InspectorAssets {
  html: string;
  script: string;
  style: string;
}

export interface InspectorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Where the page is served, on the local stack and on the deployed admin API alike. */
export const INSPECTOR_BASE = '/inspector';

/**
 * The page shell's paths (HTML, script, style): no data, so served without a key. The deployed
 * API declares exactly these as routes without its authorizer (cdk/lib/constructs/admin-api.ts);
 * everything else, the inspector's data included, goes through the authorizer.
 */
export const INSPECTOR_SHELL_PATHS = [
  INSPECTOR_BASE,
  `${INSPECTOR_BASE}/inspector.js`,
  `${INSPECTOR_BASE}/inspector.css`,
] as const;

// Only this origin's script, style and JSON; no inline script or style, no frames, no form posts.
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Where the page's HTML names its base (`{{base}}/inspector.js`), filled in when served. */
const BASE_PLACEHOLDER = /\{\{base\}\}/g;

/**
 * One file of the page shell by its path below `base` (`''` or `/` the HTML, `/inspector.js`,
 * `/inspector.css`), or undefined for any other path. The HTML names its script and style under
 * `base`, so it works at `<base>` and `<base>/` alike.
 */
export function shellFile(
  assets: InspectorAssets,
  base: string,
  subpath: string,
): InspectorResponse | undefined {
  if (subpath === '' || subpath === '/' || subpath === '/index.html') {
    return respond(200, 'text/html; charset=utf-8', assets.html.replace(BASE_PLACEHOLDER, base));
  }
  if (subpath === '/inspector.js') return respond(200, 'text/javascript; charset=utf-8', assets.script);
  if (subpath === '/inspector.css') return respond(200, 'text/css; charset=utf-8', assets.style);
  return undefined;
}

export function respond(
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): InspectorResponse {
  return { status, headers: { 'content-type': contentType, ...SECURITY_HEADERS, ...extra }, body };
}

/**
 * The page shell as an HTTP handler over `GET` paths (the deployed admin API's handler asks it
 * first): its files at INSPECTOR_SHELL_PATHS (and the base with a trailing slash), undefined for
 * any other request. The assets load on first use and stay loaded; a failed load is tried again.
 */
export function inspectorShell(
  load: () => Promise<InspectorAssets>,
  base = INSPECTOR_BASE,
): (method: string, path: string) => Promise<InspectorResponse | undefined> {
  let assets: Promise<InspectorAssets> | undefined;
  return async (method, path) => {
    if (method !== 'GET' || (path !== base && !path.startsWith(`${base}/`))) return undefined;
    const subpath = path.slice(base.length);
    if (!['', '/', '/inspector.js', '/inspector.css'].includes(subpath)) return undefined;
    assets ??= load().catch((error: unknown) => {
      assets = undefined;
      throw error;
    });
    return shellFile(await assets, base, subpath);
  };
}
