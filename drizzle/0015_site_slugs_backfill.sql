-- Every site published before owners existed keeps its address: one site_slugs row per site.
-- Its owner is the project whose run published the site's CURRENT deployment (that run's publish
-- step output names the deployment id), when there is one; otherwise nobody (a manual deploy,
-- or a project whose pages were since replaced by another's). Either way the address is taken:
-- no new project is ever allocated it, and a project publishes only at its own address.
INSERT INTO "site_slugs" ("slug", "project_id", "created_at")
SELECT s."slug",
  (SELECT p."id"
     FROM "projects" p
     JOIN "steps" st ON st."run_id" = p."run_id" AND st."name" = 'publish' AND st."item_index" = -1
    WHERE st."status" = 'succeeded' AND st."output"->>'deploymentId' = s."deployment_id"::text
    ORDER BY p."created_at", p."id"
    LIMIT 1),
  s."published_at"
FROM "sites" s;
