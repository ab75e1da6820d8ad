"use client";
/**
 * Shopify deliveries that failed for good (issue 15), newest first, with Reprocess for operators.
 * Only what identifies and explains a delivery is shown (shop, topic, ids, the last error, which
 * names fields, never values): the payload holds customer data and never leaves the server.
 */
import { dateTime } from "@/dashboard/format";
import type { Resource } from "@/dashboard/hooks";
import { shopifyReprocessSchema, type ShopifyDelivery } from "@/dashboard/schemas";
import { useAction } from "@/dashboard/use-action";
import { ActionButton } from "./action-button";
import { ActionMessage } from "./action-message";
import { LoadState, Panel } from "./panel";

export function ShopifyDeliveriesPanel({
  deliveries,
  canAct,
}: {
  deliveries: Resource<{ deliveries: ShopifyDelivery[]; nextCursor: string | null }>;
  canAct: boolean;
}) {
  const action = useAction();
  const list = deliveries.data?.deliveries ?? [];
  const more = deliveries.data?.nextCursor ? "+" : "";
  const reprocess = (d: ShopifyDelivery) =>
    action.run(
      String(d.id),
      `/api/webhooks/shopify/deliveries/${d.id}/reprocess`,
      shopifyReprocessSchema,
      `Delivery ${d.id} (${d.topic}) queued again.`,
      deliveries.refresh,
    );
  return (
    <Panel
      title={deliveries.data ? `Failed Shopify deliveries (${list.length}${more})` : "Failed Shopify deliveries"}
      resources={[deliveries]}
      className="dash-shopify-failed"
    >
      <ActionMessage message={action.message} />
      <LoadState resource={deliveries} what="the failed Shopify deliveries" />
      {deliveries.data && list.length === 0 ? <p className="dash-ok-note">No failed Shopify delivery.</p> : null}
      {list.length > 0 ? (
        <ul className="dash-rows">
          {list.map((d) => (
            <li key={d.id} className="dash-row" data-delivery-id={d.id}>
              <div className="dash-row-head">
                <span className="dash-badge dash-outbox-failed">{d.status}</span>
                <span className="dash-badge dash-badge-plain">{d.topic}</span>
                <strong className="dash-break">{d.shopDomain}</strong>
              </div>
              <p className="dash-muted dash-small dash-break">
                #{d.id} · webhook {d.webhookId} · received {dateTime(d.receivedAt)} · {d.attempts} attempt
                {d.attempts === 1 ? "" : "s"}
              </p>
              {d.lastError ? <p className="dash-bad dash-small dash-break">{d.lastError}</p> : null}
              {canAct && d.hasPayload ? (
                <ActionButton
                  pending={action.pending}
                  actionKey={String(d.id)}
                  busy="Reprocessing…"
                  onClick={() => reprocess(d)}
                  label={`Reprocess Shopify delivery ${d.id} (${d.topic})`}
                >
                  Reprocess
                </ActionButton>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </Panel>
  );
}
