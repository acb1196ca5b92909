// Word lists for realistic Brazilian records. Invented combinations of common names and real
// neighbourhoods; CEPs use each city's real prefix range with invented suffixes.

export const FEMALE_FIRST = [
  'Maria', 'Ana', 'Francisca', 'Antônia', 'Adriana', 'Juliana', 'Márcia', 'Fernanda', 'Patrícia', 'Aline',
  'Sandra', 'Camila', 'Amanda', 'Bruna', 'Jéssica', 'Letícia', 'Júlia', 'Luciana', 'Vanessa', 'Mariana',
  'Gabriela', 'Vera', 'Vitória', 'Larissa', 'Cláudia', 'Beatriz', 'Luana', 'Rita', 'Sônia', 'Renata',
  'Eliane', 'Josefa', 'Simone', 'Natália', 'Cristiane', 'Carla', 'Débora', 'Rosângela', 'Jaqueline', 'Rosa',
  'Daniela', 'Aparecida', 'Marta', 'Raimunda', 'Tatiane', 'Conceição', 'Kelly', 'Rafaela', 'Edna', 'Thaís',
  'Lúcia', 'Lívia', 'Helena', 'Valéria', 'Ingrid', 'Michele', 'Priscila', 'Solange', 'Elaine', 'Isabela',
] as const;

export const MIDDLE = [
  'de Fátima', 'Aparecida', 'da Conceição', 'das Graças', 'de Jesus', 'Cristina', 'Eduarda', 'Luiza',
  'Clara', 'Vitória', 'Gabriela', 'Fernanda', 'do Carmo', 'da Penha', 'Helena', 'Regina',
] as const;

export const SURNAMES = [
  'Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes',
  'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa',
  'Rocha', 'Dias', 'Nascimento', 'Andrade', 'Moreira', 'Nunes', 'Marques', 'Machado', 'Mendes', 'Freitas',
  'Cardoso', 'Ramos', 'Gonçalves', 'Santana', 'Teixeira', 'Araújo', 'Pinto', 'Moura', 'Cavalcanti', 'Batista',
  'Monteiro', 'Correia', 'Campos', 'Xavier', 'Bezerra', 'Farias', 'Nogueira', 'Miranda', 'Queiroz', 'Brito',
] as const;

/** Names chosen by trans women and others who use a social name (Decreto 8.727/2016). */
export const SOCIAL_FIRST = [
  'Luna', 'Valentina', 'Bianca', 'Alice', 'Yasmin', 'Sofia', 'Lara', 'Manuela', 'Jade', 'Maitê',
  'Kyara', 'Érica', 'Paloma', 'Duda', 'Nicole', 'Lorena', 'Samara', 'Melissa', 'Vênus', 'Dandara',
] as const;

/** Names of the staging staff accounts (coordinators and educators). */
export const STAFF_FIRST = ['Regina', 'Paulo', 'Cida', 'Marcos', 'Tereza', 'João', 'Neide', 'Rogério', 'Lúcia', 'André', 'Sueli', 'Fábio'] as const;

export interface City {
  name: string;
  state: string;
  /** First five CEP digits used for invented postal codes in this city. */
  cepPrefixes: readonly string[];
  neighbourhoods: readonly string[];
  /** Area code for phone numbers. */
  ddd: string;
}

export const CITIES: readonly City[] = [
  {
    name: 'São Paulo', state: 'SP', ddd: '11', cepPrefixes: ['08010', '08220', '08450', '05860', '04890', '02860'],
    neighbourhoods: ['Itaim Paulista', 'Guaianases', 'Cidade Tiradentes', 'Capão Redondo', 'Jardim Ângela', 'Brasilândia', 'Grajaú', 'Paraisópolis', 'São Mateus', 'Jardim São Luís'],
  },
  {
    name: 'Rio de Janeiro', state: 'RJ', ddd: '21', cepPrefixes: ['21040', '22763', '21530', '23017', '21240'],
    neighbourhoods: ['Maré', 'Cidade de Deus', 'Rocinha', 'Complexo do Alemão', 'Campo Grande', 'Pavuna', 'Santa Cruz', 'Bangu', 'Realengo', 'Costa Barros'],
  },
  {
    name: 'Salvador', state: 'BA', ddd: '71', cepPrefixes: ['41300', '40330', '41250', '40450'],
    neighbourhoods: ['Liberdade', 'São Caetano', 'Cajazeiras', 'Periperi', 'Sussuarana', 'Pernambués', 'Fazenda Grande do Retiro', 'Lobato'],
  },
  {
    name: 'Recife', state: 'PE', ddd: '81', cepPrefixes: ['50780', '52191', '50870', '51230'],
    neighbourhoods: ['Ibura', 'Nova Descoberta', 'Vasco da Gama', 'Jardim São Paulo', 'Coque', 'Santo Amaro', 'Água Fria', 'Brasília Teimosa'],
  },
  {
    name: 'Belo Horizonte', state: 'MG', ddd: '31', cepPrefixes: ['30620', '31270', '31741', '30880'],
    neighbourhoods: ['Barreiro', 'Aglomerado da Serra', 'Jardim Felicidade', 'Vila Pinho', 'Ribeiro de Abreu', 'Taquaril', 'Morro das Pedras'],
  },
  {
    name: 'Fortaleza', state: 'CE', ddd: '85', cepPrefixes: ['60541', '60870', '60762', '60336'],
    neighbourhoods: ['Bom Jardim', 'Jangurussu', 'Barra do Ceará', 'Pirambu', 'Granja Lisboa', 'Conjunto Palmeiras', 'Vicente Pinzón'],
  },
  {
    name: 'Porto Alegre', state: 'RS', ddd: '51', cepPrefixes: ['91330', '91150', '91787', '91260'],
    neighbourhoods: ['Restinga', 'Rubem Berta', 'Lomba do Pinheiro', 'Mário Quintana', 'Bom Jesus', 'Sarandi', 'Cruzeiro'],
  },
];

export const STREET_TYPES = ['Rua', 'Rua', 'Rua', 'Avenida', 'Travessa', 'Beco', 'Estrada'] as const;
export const STREET_NAMES = [
  'das Flores', 'São João', 'Sete de Setembro', 'Quinze de Novembro', 'Dom Pedro II', 'Tiradentes', 'da Paz',
  'Santa Luzia', 'Nossa Senhora Aparecida', 'Carolina Maria de Jesus', 'Marielle Franco', 'Dandara dos Palmares',
  'Zumbi dos Palmares', 'Chico Mendes', 'Castro Alves', 'Cecília Meireles', 'Clarice Lispector', 'Bahia',
  'Pernambuco', 'do Progresso', 'Boa Esperança', 'da Esperança', 'dos Girassóis', 'das Acácias', 'Projetada A',
] as const;
export const COMPLEMENTS = ['Casa 2', 'Fundos', 'Apto 101', 'Apto 203', 'Bloco B', 'Lote 7', 'Viela 3', 'Casa A'] as const;

export const PROJECT_THEMES = [
  ['Costura Criativa', 'Oficinas de corte, costura e modelagem para geração de renda.'],
  ['Mulheres Empreendedoras', 'Formação em gestão de pequenos negócios, precificação e vendas.'],
  ['Rede de Apoio', 'Acolhimento psicossocial em grupo para mulheres em situação de violência.'],
  ['Cozinha Solidária', 'Culinária, segurança alimentar e aproveitamento integral dos alimentos.'],
  ['Letramento Digital', 'Uso do celular e do computador, serviços públicos on-line e segurança.'],
  ['Direitos em Roda', 'Rodas de conversa sobre direitos, Lei Maria da Penha e acesso à justiça.'],
  ['Volta aos Estudos', 'Reforço escolar e preparação para o ENCCEJA.'],
  ['Saúde da Mulher', 'Autocuidado, saúde sexual e reprodutiva, saúde mental.'],
] as const;

export const WORKSHOP_TOPICS = [
  'Módulo básico', 'Módulo intermediário', 'Turma da manhã', 'Turma da tarde', 'Turma da noite',
  'Roda de conversa', 'Oficina prática', 'Grupo de acolhimento',
] as const;

export const LOCATIONS = ['Sala 1', 'Sala 2', 'Salão comunitário', 'CRAS', 'Biblioteca', 'Associação de moradores', 'Escola municipal'] as const;

export const DECISION_NOTES = {
  approved: ['Perfil atende aos critérios do projeto.', 'Aprovada após entrevista.', 'Encaminhada pelo CRAS.'],
  rejected: ['Fora do território atendido.', 'Turmas completas; orientada a aguardar o próximo ciclo.', 'Não compareceu à entrevista.'],
  withdrawn: ['Conseguiu emprego no horário das oficinas.', 'Mudou-se de cidade.', 'Desistiu por motivos pessoais.'],
  completed: ['Concluiu com frequência acima de 75%.', 'Concluiu e recebeu certificado.'],
} as const;

export const STATUS_REASONS = {
  inactive: ['Sem contato há mais de seis meses.', 'Mudou-se temporariamente.', 'Pediu para pausar o acompanhamento.'],
  reactivated: ['Retomou o acompanhamento.', 'Voltou a procurar o serviço.'],
  archived: ['Acompanhamento concluído.', 'Mudou-se definitivamente para outro município.', 'Pedido da própria beneficiária.'],
} as const;

export const ATTENDANCE_NOTES = ['Chegou atrasada.', 'Saiu mais cedo.', 'Justificou a falta.', 'Atestado médico.'] as const;
