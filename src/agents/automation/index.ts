/**
 * The automation agent: turns a brief, a design and page content into a static site
 * (`build_site`), publishes it at `/sites/<slug>/` (`deploy_site`: Postgres storage, plus a
 * Vercel Blob copy when BLOB_READ_WRITE_TOKEN is set) and checks it over HTTP (`verify_deployment`).
 */
import { defineAgent } from "../framework";
import { baseUrlCheck, blobCheck } from "../probe-checks";
import { buildSiteAction } from "./build-site";
import { deploySiteAction } from "./deploy-site";
import { verifyDeploymentAction } from "./verify-deployment";

export const automation = defineAgent({
  name: "automation",
  description: "Builds, publishes and verifies static sites.",
  // Probe: the database, the Vercel Blob token when set, and the base URL verify_deployment fetches from.
  health: [blobCheck, baseUrlCheck],
  // Direct calls (API key): only the actions with no effect outside their answer declare a role;
  // the rest run only as workflow steps (signed engine calls). See src/agents/access.ts.
  actions: {
    // Builds files in memory and answers them: an operator may build directly.
    build_site: { ...buildSiteAction, directCall: "operator" },
    // Publishes at /sites/<slug> (any slug) and fetches URLs: signed-only.
    deploy_site: deploySiteAction,
    verify_deployment: verifyDeploymentAction,
  },
});
