/**
 * Express with its session middleware over sessionmesh: three real app processes, one cluster
 * (scenarios in test/fixtures/apps/scenarios.ts, app in test/fixtures/apps/express-app.ts).
 */
import { adapterScenarios } from '../fixtures/apps/scenarios.js';

adapterScenarios('express');
