# Checked by conftest in CI (standard tier and above): `conftest test --policy policy Dockerfile`
package main

import rego.v1

deny contains msg if {
	some instruction in input
	instruction.Cmd == "from"
	image := instruction.Value[0]
	not contains(image, ":")
	msg := sprintf("base image %s has no tag: pin a version", [image])
}

deny contains msg if {
	some instruction in input
	instruction.Cmd == "from"
	image := instruction.Value[0]
	endswith(image, ":latest")
	msg := sprintf("base image %s uses the latest tag: pin a version", [image])
}

deny contains msg if {
	not runs_as_user
	msg := "the image runs as root: add a USER instruction"
}

runs_as_user if {
	some instruction in input
	instruction.Cmd == "user"
}
