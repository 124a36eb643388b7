import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { ruleOf } from './policy-guard';

/** One registered route: method, full path as Fastify sees it (`/v2/lbaas/pools/:poolId/members`), its handler and rule. */
export type RouteRow = Readonly<{ method: string; path: string; handler: string; rule: unknown }>;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [''] : [String(v)]);
const join = (...parts: string[]): string => `/${parts.flatMap((p) => p.split('/')).filter(Boolean).join('/')}`;

/**
 * Every route handler of a built app, read from Nest's own route metadata (so a controller added anywhere shows up),
 * with the policy rule it names (undefined when it names none).
 */
export function registeredRoutes(app: INestApplication): RouteRow[] {
  const reflector = app.get(Reflector);
  const rows: RouteRow[] = [];
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const type = wrapper.metatype as (new (...a: unknown[]) => object) | undefined;
      if (!type) continue;
      const prefixes = list(Reflect.getMetadata(PATH_METADATA, type));
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const fn = (type.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof fn !== 'function' || Reflect.getMetadata(METHOD_METADATA, fn) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as number];
        for (const prefix of prefixes) {
          for (const path of list(Reflect.getMetadata(PATH_METADATA, fn))) {
            rows.push({ method, path: join(prefix, path), handler: `${type.name}.${name}`, rule: ruleOf(reflector, fn as object) });
          }
        }
      }
    }
  }
  return rows.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
