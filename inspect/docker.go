package inspect

import "encoding/json"

// dockerVersion reads the docker_version field Docker writes into configs.
func dockerVersion(raw []byte) string {
	var v struct {
		DockerVersion string `json:"docker_version"`
	}
	_ = json.Unmarshal(raw, &v)
	return v.DockerVersion
}
