/**
 * Fastify with its session middleware over sessionmesh: three real app processes, one cluster
 * (scenarios in test/fixtures/apps/scenarios.ts, app in test/fixtures/apps/fastify-app.ts).
 */
import { adapterScenarios } from '../fixtures/apps/scenarios.js';

adapterScenarios('fastify');
