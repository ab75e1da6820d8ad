import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { NotFoundError } from "@/errors";
import { getProjectStatus, type ProjectStatus } from "@/projects/service";
import { ProjectProgress } from "./project-progress";

export const metadata: Metadata = {
  title: "Your website: progress",
  // The address carries the project's token: keep it out of search engines and Referer headers.
  robots: { index: false, follow: false },
  referrer: "no-referrer",
};

// /projects/<id>?token=… — the client's live progress. The first state is loaded here, so the
// page shows it without JavaScript; the client part then polls the JSON API until it is final.
export default async function ProjectPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const { token } = await searchParams;
  if (typeof token !== "string" || !token || token.length > 200) notFound();
  let status: ProjectStatus;
  try {
    status = await getProjectStatus(await getDb(), id, token);
  } catch (error) {
    if (error instanceof NotFoundError) notFound();
    throw error;
  }
  return (
    <main className="page">
      <ProjectProgress id={id} token={token} initial={status} />
    </main>
  );
}
