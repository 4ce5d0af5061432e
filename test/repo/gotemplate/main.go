// Renders Go templates the way bldr does (text/template over a map[string]string, default options), so that
// talos-ext's renderer can be compared with the real one. Reads a JSON array of {"template", "vars"} on
// stdin and writes a JSON array of {"output"} or {"error"} (parse or execution error) on stdout.
// bldr also registers sprig's functions; none of them are used here, so a template calling one fails to parse.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"text/template"
)

type request struct {
	Template string            `json:"template"`
	Vars     map[string]string `json:"vars"`
}

type response struct {
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

func render(r request) response {
	tmpl, err := template.New("t").Parse(r.Template)
	if err != nil {
		msg := err.Error()
		return response{Error: &msg}
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, r.Vars); err != nil {
		msg := err.Error()
		return response{Error: &msg}
	}
	out := buf.String()
	return response{Output: &out}
}

func main() {
	var requests []request
	if err := json.NewDecoder(os.Stdin).Decode(&requests); err != nil {
		os.Stderr.WriteString("gotemplate: " + err.Error() + "\n")
		os.Exit(2)
	}
	responses := make([]response, len(requests))
	for i, r := range requests {
		responses[i] = render(r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(responses); err != nil {
		os.Stderr.WriteString("gotemplate: " + err.Error() + "\n")
		os.Exit(2)
	}
}
