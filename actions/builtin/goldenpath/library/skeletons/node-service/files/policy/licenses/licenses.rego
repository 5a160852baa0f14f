# Checked by conftest in CI (regulated tier) against the CycloneDX SBOM:
# `conftest test --policy policy --namespace licenses sbom.cdx.json`
package licenses

import rego.v1

denied := {"AGPL-1.0-only", "AGPL-3.0-only", "AGPL-3.0-or-later", "SSPL-1.0", "BUSL-1.1"}

deny contains msg if {
	some component in input.components
	some entry in component.licenses
	entry.license.id in denied
	msg := sprintf("%s uses licence %s, which the regulated tier does not allow", [component.name, entry.license.id])
}
