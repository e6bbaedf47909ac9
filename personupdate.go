package commission

// PersonUpdate changes a partner's or a customer's personal fields
// (Engine.UpdatePartner, Engine.UpdateCustomer): each field that is nil
// is left as it is. An empty Email removes the email, an empty Tags the
// tags. It decodes a request body with encoding/json, naming by its JSON
// path a member that does not decode.
type PersonUpdate struct {
	Email   *string   `json:"email,omitempty"`
	Name    *string   `json:"name,omitempty"`
	Surname *string   `json:"surname,omitempty"`
	Tags    *[]string `json:"tags,omitempty"`
}

// PartnerUpdate and CustomerUpdate are the updates of a partner and of a
// customer: the same fields.
type (
	PartnerUpdate  = PersonUpdate
	CustomerUpdate = PersonUpdate
)

// UnmarshalJSON decodes an update's body, naming a member that does not
// decode (a number where the email belongs) as a *ValidationError.
func (in *PersonUpdate) UnmarshalJSON(b []byte) error {
	type plain PersonUpdate
	*in = PersonUpdate{}
	d := &fieldDecoder{}
	if err := d.unmarshal("", b, (*plain)(in)); err != nil {
		return err
	}
	return d.err()
}

// validated folds the email and checks every field, naming each bad one.
func (in *PersonUpdate) validated() error {
	in.Email = foldedPtr(in.Email)
	v := &validator{}
	validatePersonal(v, in.Email, in.Name, in.Surname, in.Tags)
	return v.err()
}
