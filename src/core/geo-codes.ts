// octoDNS geo codes: continent, continent-country, continent-country-subdivision.

/** Continent codes as octoDNS uses them. */
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

/** "EU", "NA-US", "NA-US-CA": continent, ISO 3166 country, ISO 3166-2 subdivision. */
export function geoCodeProblem(code: string): string | undefined {
  const m = /^([A-Z]{2})(?:-([A-Z]{2})(?:-([A-Z0-9]{1,3}))?)?$/.exec(code);
  if (!m) return `"${code}" is not a geo code like EU, NA-US or NA-US-CA`;
  if (!(CONTINENTS as readonly string[]).includes(m[1]!))
    return `"${m[1]}" is not a continent (${CONTINENTS.join(' ')})`;
  return undefined;
}

/** True when a client in `clientGeo` is inside `ruleGeo` (AS-CN matches AS-CN-BJ). */
export function geoMatches(clientGeo: string | undefined, ruleGeo: string): boolean {
  return (
    clientGeo !== undefined &&
    (clientGeo === ruleGeo ||
      (clientGeo.startsWith(ruleGeo) && clientGeo.charCodeAt(ruleGeo.length) === 45))
  );
}
