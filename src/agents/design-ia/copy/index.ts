import type { Language } from "../vocabulary";
import { de } from "./de";
import { en } from "./en";
import { es } from "./es";
import { fr } from "./fr";
import { it } from "./it";
import type { Copy } from "./types";

export type { Copy, HoursKind, Item, Three, Variants } from "./types";

/** Every language of LANGUAGES has a full copy (the Record type makes a missing one a compile error). */
export const COPY: Readonly<Record<Language, Copy>> = { en, fr, de, es, it };
