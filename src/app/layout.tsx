import type { Metadata } from "next";
import type { ReactNode } from "react";
import { RedactedAnalytics } from "./analytics";
import "./globals.css";

export const metadata: Metadata = {
  title: "Agent Orchestrator",
  description: "Durable multi-agent workflows on Postgres",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {children}
        {/* Vercel serves the analytics script; elsewhere it would only be a 404 in the console. Page URLs lose their ?token= first. */}
        {process.env.VERCEL ? <RedactedAnalytics /> : null}
      </body>
    </html>
  );
}
