package emulator

// Name corpora for the generated directory and the simulated callers. They
// are deliberately varied (several cultures, accents, apostrophes and
// hyphens) so that width and sort code meets real names.

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Sandra", "Mark", "Margaret",
	"Donald", "Ashley", "Steven", "Kimberly", "Andrew", "Emily", "Paul", "Donna", "Joshua", "Michelle",
	"Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Melissa", "Timothy", "Deborah", "Ronald", "Stephanie",
	"George", "Rebecca", "Jason", "Sharon", "Edward", "Laura", "Jeffrey", "Cynthia", "Ryan", "Dorothy",
	"Jacob", "Amy", "Nicholas", "Kathleen", "Gary", "Angela", "Eric", "Shirley", "Jonathan", "Emma",
	"Stephen", "Brenda", "Larry", "Pamela", "Justin", "Nicole", "Scott", "Anna", "Brandon", "Samantha",
	"Benjamin", "Katherine", "Samuel", "Christine", "Gregory", "Debra", "Alexander", "Rachel", "Patrick", "Carolyn",
	"Frank", "Janet", "Raymond", "Maria", "Jack", "Olivia", "Dennis", "Heather", "Jerry", "Helen",
	"Aarav", "Priya", "Wei", "Mei", "Hiroshi", "Yuki", "Min-jun", "Seo-yeon", "Mohammed", "Fatima",
	"Omar", "Aisha", "José", "Lucía", "Mateo", "Sofía", "Diego", "Valentina", "João", "Beatriz",
	"Luca", "Giulia", "Lukas", "Hannah", "Émile", "Chloé", "Søren", "Ingrid", "Mikhail", "Anastasia",
	"Oluwaseun", "Chiamaka", "Kwame", "Ama", "Tariq", "Leila", "Arjun", "Ananya", "Thanh", "Linh",
	"Siobhán", "Declan", "Niamh", "Tomás", "Zoë", "Renée", "Björn", "Åsa", "Nuño", "Iñaki",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
	"O'Brien", "O'Connor", "McCarthy", "MacLeod", "Fitzgerald", "Kowalski", "Nowak", "Novák", "Müller", "Schmidt",
	"Schneider", "Fischer", "Weber", "Becker", "Dubois", "Lefèvre", "Moreau", "Rossi", "Russo", "Esposito",
	"Bianchi", "Romano", "Colombo", "Silva", "Santos", "Oliveira", "Pereira", "Costa", "Fernández", "García-López",
	"Yamamoto", "Tanaka", "Watanabe", "Suzuki", "Sato", "Wang", "Li", "Zhang", "Liu", "Chen",
	"Singh", "Kumar", "Sharma", "Gupta", "Iyer", "Khan", "Ahmed", "Hassan", "Haddad", "Nasser",
	"Okafor", "Adeyemi", "Mensah", "Owusu", "Mwangi", "Ivanov", "Petrov", "Smirnov", "Popescu", "Horváth",
	"Nielsen", "Jensen", "Larsen", "Andersson", "Johansson", "Virtanen", "Korhonen", "de Vries", "van der Berg", "Jansen",
	"Park", "Choi", "Jung", "Tran", "Pham", "Le", "Hoang", "Abara", "Delacroix-Whitmore", "Ferreira-Cunningham",
}

var departments = []string{
	"Sales", "Support", "Billing", "Engineering", "Marketing", "Finance", "Operations",
	"Human Resources", "Legal", "Logistics", "Customer Success", "Facilities",
}

var jobTitles = map[string][]string{
	"Sales":            {"Account Executive", "Sales Development Rep", "Sales Manager", "Inside Sales Rep"},
	"Support":          {"Support Agent", "Senior Support Agent", "Support Team Lead", "Technical Specialist"},
	"Billing":          {"Billing Specialist", "Collections Agent", "Billing Supervisor"},
	"Engineering":      {"Software Engineer", "QA Engineer", "Engineering Manager", "Site Reliability Engineer"},
	"Marketing":        {"Marketing Manager", "Content Writer", "Designer", "Events Coordinator"},
	"Finance":          {"Accountant", "Financial Analyst", "Controller"},
	"Operations":       {"Operations Manager", "Dispatcher", "Scheduler"},
	"Human Resources":  {"HR Generalist", "Recruiter", "People Partner"},
	"Legal":            {"Counsel", "Paralegal"},
	"Logistics":        {"Logistics Coordinator", "Warehouse Lead", "Shipping Clerk"},
	"Customer Success": {"Customer Success Manager", "Onboarding Specialist"},
	"Facilities":       {"Facilities Manager", "Office Coordinator"},
}

var queueNames = []string{
	"Reception Overflow", "Sales", "Support", "Billing", "Spanish Line", "VIP Care",
	"Technical Support Tier 2", "Returns", "Scheduling", "After Hours", "Partners", "Collections",
}

var companyNames = []string{
	"Northwind Dental Group", "Bluebird Logistics", "Harbor & Pine Realty", "Summit Ridge Clinics",
	"Crescent Legal Partners", "Evergreen Home Services", "Atlas Freight Co.", "Maple Street Veterinary",
}

var siteNames = []struct{ name, code string }{
	{"Main Site", "001"}, {"London Office", "002"}, {"Austin Branch", "003"}, {"Denver Warehouse", "004"},
}

// Caller corpora for simulated inbound calls.
var callerBusinesses = []string{
	"Acme Supply Co", "Globex Corp", "Initech", "Umbrella Insurance", "Stark Medical", "Wayne Holdings",
	"Pied Piper", "Hooli", "Vandelay Industries", "Soylent Foods", "Wonka Logistics", "Tyrell Systems",
}

var callerLabels = []string{"WIRELESS CALLER", "UNKNOWN", "TOLL FREE CALL", "ANONYMOUS"}

var areaCodes = []string{"650", "415", "212", "312", "512", "303", "206", "617", "404", "305", "702", "919"}

// Status messages people set (at most 75 characters).
var statusMessages = []string{
	"Out to lunch, back at 1:30", "In a meeting until 3pm", "Working from home today", "On PTO until Monday",
	"Training session", "Focus time, urgent only", "At the dentist, back by 11", "Covering front desk",
	"Back in 15", "Customer visit this afternoon", "Interviewing candidates", "Heads down on month-end close",
}
