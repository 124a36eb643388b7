import { Controller, Get, Param, Req } from '@nestjs/common';
import { AVAILABILITY_ZONE_CAPABILITIES, FLAVOR_CAPABILITIES, PROVIDER, type Capability } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import { selectFields } from '../http/attributes';
import { ApiError } from '../http/errors';
import { fieldsOf, type Query } from '../http/listing';
import { baseUrl } from '../http/request-context';
import { versionDocument } from './versions';
import { Policy } from '../http/policy-guard';

@Controller()
export class VersionsController {
  @Get()
  @Policy('open')
  root(@Req() req: FastifyRequest) {
    return versionDocument(baseUrl(req));
  }
}

/** Octavia's ProviderNotEnabled for any provider but this one. */
const checkProvider = (provider: string): void => {
  if (provider !== PROVIDER) throw new ApiError(400, `Provider '${provider}' is not enabled.`);
};

/** A capability list, with Octavia's field selection (`?fields=name`). */
const capabilities = (root: string, caps: readonly Capability[], req: FastifyRequest) => {
  const fields = fieldsOf((req.query ?? {}) as Query);
  return { [root]: caps.map((c) => selectFields({ name: c.name, description: c.description }, fields)) };
};

/**
 * The providers this control plane offers (one: itself), and what its flavor and availability zone profiles may say.
 * Rules: `os_load-balancer_api:provider:get_all` (every caller), `...:provider-flavor:get_all` and
 * `...:provider-availability-zone:get_all` (admin only).
 */
@Controller(['v2/lbaas/providers', 'v2.0/lbaas/providers'])
export class ProvidersController {
  @Get()
  @Policy('os_load-balancer_api:provider:get_all')
  list() {
    return { providers: [{ name: PROVIDER, description: 'Event-sourced haproxy load balancers in network namespaces.' }] };
  }

  @Get(':provider/flavor_capabilities')
  @Policy('os_load-balancer_api:provider-flavor:get_all')
  flavorCapabilities(@Req() req: FastifyRequest, @Param('provider') provider: string) {
    checkProvider(provider);
    return capabilities('flavor_capabilities', FLAVOR_CAPABILITIES, req);
  }

  @Get(':provider/availability_zone_capabilities')
  @Policy('os_load-balancer_api:provider-availability-zone:get_all')
  zoneCapabilities(@Req() req: FastifyRequest, @Param('provider') provider: string) {
    checkProvider(provider);
    return capabilities('availability_zone_capabilities', AVAILABILITY_ZONE_CAPABILITIES, req);
  }
}
