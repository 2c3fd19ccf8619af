// The texts of this feature, in English and Chinese (`zh` must name every key of `en`).

export const en = {} as const;

export const zh: Record<keyof typeof en, string> = {};
