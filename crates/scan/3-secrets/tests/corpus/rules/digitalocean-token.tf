provider "digitalocean" {
  token = "{{fake:dop_v1_:hex:64}}"
}
