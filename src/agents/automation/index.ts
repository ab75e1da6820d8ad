/**
 * The automation agent: turns a brief, a design and page content into a static site
 * (`build_site`), publishes it at `/sites/<slug>/` (`deploy_site`: Postgres storage, plus a
 * Vercel Blob copy when BLOB_READ_WRITE_TOKEN is set) and checks it over HTTP (`verify_deployment`).
 */
import { defineAgent } from "../framework";
import { buildSiteAction } from "./build-site";
import { deploySiteAction } from "./deploy-site";
import { verifyDeploymentAction } from "./verify-deployment";

export const automation = defineAgent({
  name: "automation",
  description: "Builds, publishes and verifies static sites.",
  actions: {
    build_site: buildSiteAction,
    deploy_site: deploySiteAction,
    verify_deployment: verifyDeploymentAction,
  },
});
