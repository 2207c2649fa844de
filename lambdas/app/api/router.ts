import type { HttpMethod, Route } from './route.ts';

export type Match<S, A> =
  | { kind: 'found'; route: Route<S, A>; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: HttpMethod[] }
  | { kind: 'not_found' };

interface Compiled<S, A> {
  route: Route<S, A>;
  pattern: RegExp;
  names: string[];
}

/** Matches `METHOD /path` against path templates (`/runs/{run}/events`); a segment never spans `/`. */
export class Router<S, A> {
  private readonly compiled: Compiled<S, A>[];

  constructor(readonly routes: readonly Route<S, A>[]) {
    const seen = new Set<string>();
    this.compiled = routes.map((route) => {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`Route ${key} is declared twice`);
      seen.add(key);
      const names: string[] = [];
      const source = route.path
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{(\w+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
      return { route, pattern: new RegExp(`^${source}$`), names };
    });
  }

  match(method: string, path: string): Match<S, A> {
    const allowed: HttpMethod[] = [];
    for (const { route, pattern, names } of this.compiled) {
      const found = pattern.exec(path);
      if (!found) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { kind: 'found', route, params };
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
  }
}
